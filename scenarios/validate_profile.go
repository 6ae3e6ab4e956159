package scenarios

import (
	"errors"
	"io/fs"
	"math"
	"os"
)

// checkProfile reads data.profile and adds its tables to data.tables, so
// that everything after (refs, the load order, datagen, the dataset cache's
// key) sees the tables the profile loads. A table data.tables lists keeps
// its rows when it gives them; its columns always win over the profile.
func (c *checker) checkProfile() {
	d := &c.s.Data
	p := root().key("data")
	scaleWritten := c.d.has(p.key("scale"))
	if d.Profile == "" {
		if scaleWritten || d.Scale != 0 {
			c.addf(p.key("scale"), "applies only with data.profile")
		}
		return
	}
	if d.Scale == 0 && !scaleWritten {
		d.Scale = 1
	}
	if !(d.Scale > 0) || math.IsInf(d.Scale, 0) {
		c.addf(p.key("scale"), "must be > 0 (0.1 loads a tenth of the profiled rows), got %s", num(d.Scale))
		return
	}
	prof, ok := c.readProfile(p.key("profile"), d.Profile)
	if !ok {
		return
	}
	d.ProfileData = prof
	c.addProfileTables(p, prof)
}

// readProfile reads the profile file relative to the scenario's directory,
// which it may not leave (as schema.file).
func (c *checker) readProfile(p keyPath, name string) (*Profile, bool) {
	file, err := insideDir(c.dir, name)
	if err != nil {
		c.addf(p, "%v", err)
		return nil, false
	}
	f, err := os.Open(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		c.addf(p, "cannot read %s: %v", name, err)
		return nil, false
	}
	defer f.Close()
	prof, err := ReadProfile(f)
	if err != nil {
		c.addf(p, "%s: %v", name, err)
		return nil, false
	}
	return prof, true
}

func (c *checker) addProfileTables(p keyPath, prof *Profile) {
	d := &c.s.Data
	if d.Tables == nil {
		d.Tables = map[string]*Table{}
	}
	listed := map[string]string{}
	for key := range d.Tables {
		listed[normalizeTable(key)] = key
	}
	for i := range prof.Tables {
		t := &prof.Tables[i]
		switch {
		case c.base != nil && c.base.Table(t.Name) == nil:
			c.addf(p.key("profile"), "profiled table %s is not in the schema%s; profile only the scenario's tables (rehearse profile --tables a,b)",
				t.Name, didYouMean(t.Name, c.base.TableNames()))
			continue
		case t.Rows < 0:
			c.addf(p.key("profile"), "table %s has no row estimate in the profile (never vacuumed or analysed): run ANALYZE %s on the profiled database and profile it again",
				t.Name, t.Name)
			continue
		}
		rows := Count(t.ScaledRows(d.Scale))
		key, ok := listed[normalizeTable(t.Name)]
		switch {
		case !ok:
			d.Tables[t.Name] = &Table{Rows: rows}
		case d.Tables[key] == nil:
			d.Tables[key] = &Table{Rows: rows}
		case d.Tables[key].Rows == 0 && !c.d.has(p.key("tables").key(key).key("rows")):
			d.Tables[key].Rows = rows
		}
	}
}
