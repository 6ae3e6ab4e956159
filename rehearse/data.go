package rehearse

import (
	"github.com/rehearse/rehearse/datagen"
	"github.com/rehearse/rehearse/result"
)

// dataResult records what datagen loaded, in the result's terms.
func dataResult(l datagen.Loaded) result.Data {
	d := result.Data{Tables: make([]result.TableLoad, 0, len(l.Tables)), LoadMS: l.LoadMS}
	for _, t := range l.Tables {
		d.Tables = append(d.Tables, result.TableLoad{Name: t.Name, Rows: t.Rows, Bytes: t.Bytes, LoadMS: t.LoadMS})
	}
	return d
}
