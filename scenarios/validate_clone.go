package scenarios

import "strings"

// DataFromExisting is data.from for a database that already holds the
// schema and its rows.
const DataFromExisting = "existing"

// FromExisting says the database comes with its schema and rows: nothing
// is applied or generated before the rehearsal.
func (d Data) FromExisting() bool { return d.From == DataFromExisting }

// checkClone checks postgres.clone and data.from.
func (c *checker) checkClone() {
	if cl := c.s.Postgres.Clone; cl != nil {
		p := root().key("postgres").key("clone")
		if strings.TrimSpace(cl.Create) == "" {
			c.addf(p.key("create"), "missing; the command that makes a clone and prints its DSN")
		}
		if strings.TrimSpace(cl.Destroy) == "" {
			c.addf(p.key("destroy"), "missing; the command that removes the clone ($REHEARSE_CLONE_DSN)")
		}
		if c.s.Postgres.Replica {
			c.addf(root().key("postgres").key("replica"), "cannot start a standby beside a clone")
		}
	}
	d := c.s.Data
	p := root().key("data")
	switch d.From {
	case "", DataFromExisting:
	default:
		c.addf(p.key("from"), "must be %q (the database already has its rows) or left out, got %q", DataFromExisting, d.From)
		return
	}
	if d.FromExisting() && (len(d.Tables) > 0 || d.Profile != "") {
		c.addf(p.key("from"), "%q takes the rows the database has: leave out data.tables and data.profile", DataFromExisting)
	}
}
