package scenarios

import (
	"strconv"
	"strings"
)

// This file checks the keys that change what is started beside or instead
// of one server: postgres.versions (a version matrix), postgres.replica (a
// streaming standby) and the limits that need the standby.

// MaxVersions is the most versions postgres.versions may list: each one is
// a whole rehearsal.
const MaxVersions = 10

// VersionPlaceholder in postgres.image (or --image) is replaced by each
// version of the matrix: "registry.example/postgres:{version}".
const VersionPlaceholder = "{version}"

// checkVersionsAndReplica runs after checkPostgres, checkMigration and
// checkThresholds.
func (c *checker) checkVersionsAndReplica() {
	c.checkVersions()
	c.checkReplica()
}

func (c *checker) checkVersions() {
	pg := c.s.Postgres
	p := root().key("postgres")
	if strings.Contains(pg.Image, VersionPlaceholder) && pg.Version == "" && len(pg.Versions) == 0 {
		c.addf(p.key("image"), "uses %s but neither postgres.version nor postgres.versions says which", VersionPlaceholder)
	}
	if pg.Versions == nil && !c.d.has(p.key("versions")) {
		return
	}
	vp := p.key("versions")
	switch {
	case len(pg.Versions) == 0:
		c.addf(vp, "empty; list the major versions to rehearse on, such as [\"15\", \"16\"], or leave the key out")
		return
	case len(pg.Versions) > MaxVersions:
		c.addf(vp, "%d versions; at most %d (each one is a whole rehearsal)", len(pg.Versions), MaxVersions)
	}
	if pg.Version != "" {
		c.addf(p.key("version"), "give either version or versions, not both")
	}
	if pg.Image != "" && len(pg.Versions) > 1 && !strings.Contains(pg.Image, VersionPlaceholder) {
		c.addf(p.key("image"), "names one image for %d versions; write %s where the version goes (postgres:%s-alpine) or leave image out",
			len(pg.Versions), VersionPlaceholder, VersionPlaceholder)
	}
	seen := map[string]bool{}
	for i, v := range pg.Versions {
		switch {
		case !versionRe.MatchString(v):
			c.addf(vp.idx(i), "must be a major version such as 16, got %q", v)
		case seen[v]:
			c.addf(vp.idx(i), "%s is listed twice", v)
		}
		seen[v] = true
	}
}

func (c *checker) checkReplica() {
	pg := c.s.Postgres
	p := root().key("postgres")
	if pg.Replica {
		if v, ok := pg.Settings["wal_level"]; ok && strings.EqualFold(string(v), "minimal") {
			c.addf(p.key("settings").key("wal_level"), "minimal cannot feed a standby; with postgres.replica use replica (the default) or logical")
		}
		if v, ok := pg.Settings["max_wal_senders"]; ok {
			if n, err := strconv.Atoi(string(v)); err == nil && n < 2 {
				c.addf(p.key("settings").key("max_wal_senders"), "%d is too few for postgres.replica: the standby's base backup needs 2", n)
			}
		}
		if v, ok := pg.Settings["hot_standby"]; ok && isOff(string(v)) {
			c.addf(p.key("settings").key("hot_standby"), "off: the standby must accept read-only connections to be seen ready")
		}
	}
	needsReplica := func(kp keyPath) {
		if !pg.Replica {
			c.addf(kp, "needs postgres.replica: true (a standby whose lag is measured)")
		}
	}
	if d := c.s.Thresholds.MaxReplicationLag; d != nil {
		tp := root().key("thresholds").key("max_replication_lag")
		c.checkNonNegative(tp, *d)
		needsReplica(tp)
	}
	for _, list := range []struct {
		key   string
		steps []*Step
	}{{"steps", c.s.Migration.Steps}, {"rollback", c.s.Migration.Rollback}} {
		for i, st := range list.steps {
			if st == nil || st.Batch == nil || st.Batch.Throttle == nil || !c.throttlesOnLag(st.Batch.Throttle, list.key, i) {
				continue
			}
			tp := root().key("migration").key(list.key).idx(i).key("batch").key("throttle").key("max_replication_lag")
			if st.Batch.Throttle.MaxReplicationLag <= 0 {
				c.addf(tp, "must be > 0: the replay lag above which batches wait")
			}
			needsReplica(tp)
		}
	}
}

// throttlesOnLag says whether a throttle sets max_replication_lag.
func (c *checker) throttlesOnLag(t *Throttle, list string, i int) bool {
	kp := root().key("migration").key(list).idx(i).key("batch").key("throttle").key("max_replication_lag")
	return t.MaxReplicationLag != 0 || c.d.has(kp)
}

func isOff(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "off", "false", "0", "no":
		return true
	}
	return false
}
