package datagen

import (
	"slices"
	"testing"
	"time"
)

func TestParseCheckUnderstandsSimpleForms(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	isTime := func(c string) bool { return c == "at" }
	cases := []struct {
		def        string
		understood bool
		check      func(map[string]*rule) bool
	}{
		{"CHECK ((price > (0)::numeric))", true, func(r map[string]*rule) bool {
			return r["price"].hasLo && r["price"].lo == 0 && !r["price"].loIncl
		}},
		{"CHECK (((age >= 18) AND (age <= 120)))", true, func(r map[string]*rule) bool {
			return r["age"].lo == 18 && r["age"].loIncl && r["age"].hi == 120 && r["age"].hiIncl
		}},
		{"CHECK ((0 < qty))", true, func(r map[string]*rule) bool { return r["qty"].lo == 0 && !r["qty"].loIncl }},
		{"CHECK ((t >= '-5'::integer))", true, func(r map[string]*rule) bool { return r["t"].lo == -5 }},
		{"CHECK (((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))", true,
			func(r map[string]*rule) bool { return slices.Equal(r["status"].values, []string{"a", "b"}) }},
		{"CHECK ((length(code) <= 10))", true, func(r map[string]*rule) bool { return r["code"].maxLen == 10 }},
		{"CHECK ((char_length(code) > 2))", true, func(r map[string]*rule) bool { return r["code"].minLen == 3 }},
		{"CHECK ((name <> ''::text))", true, func(r map[string]*rule) bool { return r["name"].minLen == 1 }},
		{"CHECK (((x IS NULL) OR (x > 5)))", true, func(r map[string]*rule) bool { return r["x"].lo == 5 }},
		{"CHECK ((at <= now()))", true, func(r map[string]*rule) bool { return r["at"].hiTime.Equal(now) }},
		{"CHECK ((at >= '2020-01-01'::date))", true, func(r map[string]*rule) bool {
			return r["at"].loTime.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
		}},
		{"CHECK ((x IS NOT NULL))", true, func(r map[string]*rule) bool { return r["x"].notNull }},
		{"CHECK ((starts < ends))", false, nil},
		{"CHECK ((code ~ '^[A-Z]+$'::text))", false, nil},
		{"CHECK (((a > 0) OR (b > 0)))", false, nil},
		{"CHECK ((x > 1)) NOT VALID", true, func(r map[string]*rule) bool { return r["x"].lo == 1 }},
	}
	for _, c := range cases {
		rules := map[string]*rule{}
		got := parseCheck(c.def, "", isTime, rules, now)
		if got != c.understood {
			t.Errorf("%s: understood = %v, want %v", c.def, got, c.understood)
			continue
		}
		if c.check != nil && !c.check(rules) {
			t.Errorf("%s: rules %+v", c.def, rules)
		}
	}
	rules := map[string]*rule{}
	if !parseCheck("CHECK ((VALUE > 0))", "karma", isTime, rules, now) || rules["karma"].lo != 0 {
		t.Errorf("domain check on VALUE: %+v", rules)
	}
}

func TestComputedDefault(t *testing.T) {
	t.Parallel()
	for def, want := range map[string]bool{
		"'active'::text": false, "(0)::numeric": false, "'{}'::jsonb": false, "false": false,
		"now()": true, "gen_random_uuid()": true, "CURRENT_TIMESTAMP": true, "'a('::text": false,
		"nextval('users_id_seq'::regclass)": true, "(random() * 10)": true,
	} {
		if got := computedDefault(def); got != want {
			t.Errorf("computedDefault(%s) = %v, want %v", def, got, want)
		}
	}
}

func TestApplyBounds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		r              rule
		lo, hi, wl, wh float64
	}{
		{rule{}, 1, 100, 1, 100},
		{rule{lo: 0, hasLo: true}, 1, 100, 1, 100},
		{rule{lo: 500, hasLo: true, loIncl: true}, 1, 100, 500, 599},
		{rule{hi: 10, hasHi: true}, 1, 100, 1, 9},
		{rule{hi: -10, hasHi: true, hiIncl: true}, 1, 100, -109, -10},
	}
	for _, c := range cases {
		lo, hi, err := applyBounds(&c.r, c.lo, c.hi, -1e9, 1e9, 1)
		if err != nil || lo != c.wl || hi != c.wh {
			t.Errorf("%+v: got %v..%v (%v), want %v..%v", c.r, lo, hi, err, c.wl, c.wh)
		}
	}
	if _, _, err := applyBounds(&rule{lo: 5, hasLo: true, hi: 5, hasHi: true}, 1, 10, -100, 100, 1); err == nil {
		t.Error("x > 5 AND x < 5 accepted")
	}
}
