package datagen

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/rehearse/rehearse/scenarios"
)

// domain is a column's values as an ordered list of n positions: what lets
// a composite unique constraint combine columns (one position each, every
// row a different combination).
type domain struct {
	n  uint64
	at func(pos uint64) any
}

// autoGen generates a column the scenario does not describe, from its
// type, its name and what its CHECK constraints allow.
type autoGen struct {
	fn RowFunc
	// dom is set for columns with an ordered finite domain (integers, dates,
	// enums, booleans, allowed lists).
	dom *domain
	// first is the value at row 0 of a unique integer column filled as
	// first, first+1, ...: its keys are a dense range known without a query.
	first    int64
	rowBased bool
	// nullRatio is the share of NULLs (deleted_at-style columns only).
	nullRatio float64
}

// autoColumn plans the values of an undescribed column. ok is false when
// datagen cannot generate the type.
func autoColumn(tableName string, col *column, r *rule, g genContext) (*autoGen, bool, error) {
	if r == nil {
		r = &rule{}
	}
	if col.array {
		fn, ok := autoArray(tableName, col, g)
		return &autoGen{fn: fn}, ok, nil
	}
	if r.values != nil && col.category() != catEnum {
		a, err := fromList(col, r.values, g)
		return a, true, err
	}
	var (
		a   *autoGen
		err error
	)
	switch col.category() {
	case catInt:
		a, err = autoInt(col, r, g)
	case catNumeric, catFloat:
		a, err = autoDecimal(col, r, g)
	case catText:
		a, err = autoText(tableName, col, r, g)
	case catEnum:
		labels := col.labels
		if r.values != nil {
			labels = intersect(labels, r.values)
		}
		a, err = fromList(col, labels, g)
	case catBool:
		a, err = autoBool(g)
	case catUUID:
		a = &autoGen{fn: func(f *gofakeit.Faker, row int64) any { return rowUUID(f, row, g.key) }}
	case catTime:
		a, err = autoTime(col, r, g)
	case catInet:
		a = autoInet(g)
	case catJSON:
		a = &autoGen{fn: autoJSON(g)}
	case catBytea:
		a = &autoGen{fn: autoBytes(g)}
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	if !col.notNull && !g.unique && deletedLike(col.name) {
		a.nullRatio = 0.9 // most rows are live
	}
	return a, true, nil
}

func intersect(labels, allowed []string) []string {
	var out []string
	for _, l := range labels {
		for _, a := range allowed {
			if l == a {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

// fromDomain draws positions of dom uniformly, or each row its own when
// unique.
func fromDomain(dom *domain, g genContext) (*autoGen, error) {
	pick, err := positions(distSpec{name: DistUniform}, g, dom.n, 0, 0)
	if err != nil {
		return nil, err
	}
	return &autoGen{dom: dom, fn: func(f *gofakeit.Faker, row int64) any { return dom.at(pick(f, row)) }}, nil
}

// fromList picks among the values a CHECK (x IN (...)) or an enum allows,
// converted to the column's type.
func fromList(col *column, values []string, g genContext) (*autoGen, error) {
	if len(values) == 0 {
		return nil, fmt.Errorf("its CHECK constraints allow no value")
	}
	vals := make([]any, len(values))
	for i, s := range values {
		v, err := listValue(col, s)
		if err != nil {
			return nil, fmt.Errorf("allowed value %q: %w", s, err)
		}
		vals[i] = v
	}
	return fromDomain(&domain{n: uint64(len(vals)), at: func(pos uint64) any { return vals[pos] }}, g)
}

func listValue(col *column, s string) (any, error) {
	switch col.category() {
	case catInt:
		return strconv.ParseInt(s, 10, 64)
	case catNumeric, catFloat:
		return strconv.ParseFloat(s, 64)
	case catTime:
		return parseTime(s)
	case catBool:
		return strconv.ParseBool(s)
	case catText, catEnum:
		return s, nil
	}
	return nil, fmt.Errorf("lists of %s are not supported", col.typ)
}

// intHints are integer ranges for columns by name.
var intHints = []struct {
	words  []string
	lo, hi int64
}{
	{[]string{"age"}, 18, 90},
	{[]string{"year"}, 1990, 2025},
	{[]string{"quantity", "qty"}, 1, 10},
	{[]string{"rating", "stars"}, 1, 5},
	{[]string{"score", "percent", "pct", "percentage"}, 0, 100},
	{[]string{"priority", "level", "rank", "version"}, 1, 10},
	{[]string{"count", "total", "num", "views", "clicks", "likes"}, 0, 1000},
	{[]string{"price", "amount", "cost", "balance", "cents", "fee"}, 0, 100_000},
	{[]string{"position", "ordinal", "sort", "seq"}, 0, 1000},
	{[]string{"duration", "seconds", "secs", "ms", "millis"}, 0, 3600},
}

func autoInt(col *column, r *rule, g genContext) (*autoGen, error) {
	tlo, thi := intRange(col.base)
	lo, hi := float64(1), math.Min(1_000_000, thi)
	if col.base == "int2" {
		hi = 10_000
	}
	for _, h := range intHints {
		if nameHas(col.name, h.words...) {
			lo, hi = float64(h.lo), math.Min(float64(h.hi), thi)
			break
		}
	}
	lo, hi, err := applyBounds(r, lo, hi, tlo, thi, 1)
	if err != nil {
		return nil, err
	}
	ilo, ihi := int64(lo), int64(hi)
	if g.unique && g.above != nil && *g.above >= ilo {
		ilo = *g.above + 1
	}
	if g.unique {
		// Dense from the lower bound: keys of a referenced column are then a
		// range, known without reading them back.
		if float64(ilo)+float64(max(g.rows, 1)-1) > math.Min(thi, ruleHi(r, thi, 1)) {
			return nil, fmt.Errorf("%d rows cannot have distinct values from %d within the type and its constraints", g.rows, ilo)
		}
		return &autoGen{first: ilo, rowBased: true, fn: func(_ *gofakeit.Faker, row int64) any { return ilo + row }}, nil
	}
	n := uint64(ihi) - uint64(ilo) + 1
	return fromDomain(&domain{n: n, at: func(pos uint64) any { return ilo + int64(pos) }}, g)
}

// ruleHi is the rule's upper bound in steps of unit, or def.
func ruleHi(r *rule, def, unit float64) float64 {
	if !r.hasHi {
		return def
	}
	if r.hiIncl {
		return math.Floor(r.hi/unit+1e-9) * unit
	}
	return (math.Ceil(r.hi/unit-1e-9) - 1) * unit
}

// applyBounds narrows the default range [lo, hi] to the CHECK bounds,
// within the type's range [tlo, thi], in steps of unit. A default range
// outside the CHECK bounds moves inside them.
func applyBounds(r *rule, lo, hi, tlo, thi, unit float64) (float64, float64, error) {
	clo, chi := tlo, thi
	if r.hasLo {
		v := math.Ceil(r.lo/unit-1e-9) * unit
		if !r.loIncl && v <= r.lo {
			v += unit
		}
		clo = math.Max(clo, v)
	}
	chi = math.Min(chi, ruleHi(r, thi, unit))
	if clo > chi {
		return 0, 0, fmt.Errorf("its CHECK constraints allow no value (above %v and below %v)", r.lo, r.hi)
	}
	width := hi - lo
	switch {
	case lo > chi: // the default range lies above what is allowed: take the top
		return math.Max(clo, chi-width), chi, nil
	case hi < clo: // below: take the bottom
		return clo, math.Min(chi, clo+width), nil
	}
	return math.Max(lo, clo), math.Min(hi, chi), nil
}

// decimalHints are ranges of numeric and float columns by name.
var decimalHints = []struct {
	words  []string
	lo, hi float64
}{
	{[]string{"price", "amount", "total", "cost", "balance", "fee", "subtotal", "tax", "salary", "revenue"}, 1, 1000},
	{[]string{"rate", "ratio", "percent", "pct", "discount"}, 0, 100},
	{[]string{"lat", "latitude"}, -90, 90},
	{[]string{"lng", "lon", "long", "longitude"}, -180, 180},
	{[]string{"weight", "height", "width", "length", "size"}, 0, 100},
}

func autoDecimal(col *column, r *rule, g genContext) (*autoGen, error) {
	scale := 2
	tlo, thi := -1e15, 1e15
	if p, s, ok := col.numericPrecision(); ok {
		scale = min(max(s, 0), maxDecimalScale)
		limit := math.Pow10(p-s) - math.Pow10(-s)
		tlo, thi = -limit, limit
	}
	lo, hi := float64(0), float64(1000)
	for _, h := range decimalHints {
		if nameHas(col.name, h.words...) {
			lo, hi = h.lo, h.hi
			break
		}
	}
	unit := math.Pow10(-scale)
	lo, hi, err := applyBounds(r, math.Max(lo, tlo), math.Min(hi, thi), tlo, thi, unit)
	if err != nil {
		return nil, err
	}
	ulo, uhi := int64(math.Round(lo/unit)), int64(math.Round(hi/unit))
	if g.unique {
		uhi = max(uhi, int64(math.Floor(ruleHi(r, thi, unit)/unit+1e-9)))
	}
	float := col.category() == catFloat
	at := func(pos uint64) any {
		u := ulo + int64(pos)
		if float {
			return float64(u) / math.Pow10(scale)
		}
		return decimal{unscaled: u, scale: uint16(scale)}
	}
	return fromDomain(&domain{n: uint64(uhi-ulo) + 1, at: at}, g)
}

func autoBool(g genContext) (*autoGen, error) {
	return fromDomain(&domain{n: 2, at: func(pos uint64) any { return pos == 1 }}, g)
}

// timeHints are ranges of date and timestamp columns by name; others get
// [DefaultDateFrom, DefaultDateTo].
var timeHints = []struct {
	words    []string
	from, to string
}{
	{[]string{"birth", "birthday", "dob", "born"}, "1950-01-01", "2006-01-01"},
}

func autoTime(col *column, r *rule, g genContext) (*autoGen, error) {
	from, to, err := autoTimeRange(col, r)
	if err != nil {
		return nil, err
	}
	g.days = col.base == "date"
	fn, err := timesIn(distSpec{name: DistUniform}, g, from, to)
	if err != nil {
		return nil, err
	}
	return &autoGen{fn: fn}, nil
}

// autoTimeRange is the span an undescribed date or timestamp column's
// values are drawn from: by its name, within its CHECK bounds.
func autoTimeRange(col *column, r *rule) (from, to time.Time, err error) {
	fromText, toText := DefaultDateFrom, DefaultDateTo
	for _, h := range timeHints {
		if nameHas(col.name, h.words...) {
			fromText, toText = h.from, h.to
		}
	}
	from, _ = parseTime(fromText)
	to, _ = parseTime(toText)
	width := to.Sub(from)
	if !r.loTime.IsZero() && from.Before(r.loTime) {
		from = r.loTime
		if to.Before(from) {
			to = from.Add(width)
		}
	}
	if !r.hiTime.IsZero() && to.After(r.hiTime) {
		to = r.hiTime
		if from.After(to) {
			from = to.Add(-width)
			if !r.loTime.IsZero() && from.Before(r.loTime) {
				from = r.loTime
			}
		}
	}
	if from.After(to) {
		return from, to, fmt.Errorf("its CHECK constraints allow no date")
	}
	return from, to, nil
}

func autoInet(g genContext) *autoGen {
	if g.unique {
		return &autoGen{fn: uniqueIP(g)}
	}
	return &autoGen{fn: func(f *gofakeit.Faker, _ int64) any { return f.IPv4Address() }}
}

// autoJSON makes a small object; unique ones carry the row number.
func autoJSON(g genContext) RowFunc {
	return func(f *gofakeit.Faker, row int64) any {
		b := make([]byte, 0, 64)
		b = append(b, `{`...)
		if g.unique {
			b = append(b, `"id": `...)
			b = strconv.AppendInt(b, row+1, 10)
			b = append(b, `, `...)
		}
		b = append(b, `"source": `...)
		b = strconv.AppendQuote(b, f.Word())
		b = append(b, `, "score": `...)
		b = strconv.AppendInt(b, int64(uniformN(f, 101)), 10)
		b = append(b, `, "tags": [`...)
		b = strconv.AppendQuote(b, f.Word())
		b = append(b, `, `...)
		b = strconv.AppendQuote(b, f.Word())
		return append(b, `]}`...)
	}
}

func autoBytes(g genContext) RowFunc {
	return func(f *gofakeit.Faker, row int64) any {
		b := make([]byte, 16)
		binary.BigEndian.PutUint64(b[0:8], f.Uint64())
		binary.BigEndian.PutUint64(b[8:16], f.Uint64())
		if g.unique {
			binary.BigEndian.PutUint64(b[0:8], uint64(row))
		}
		return b
	}
}

// textHints pick a generator by column name.
var textHints = []struct {
	words []string
	gen   string
}{
	{[]string{"email", "mail"}, "email"},
	{[]string{"first_name", "firstname", "given_name", "forename"}, "firstname"},
	{[]string{"last_name", "lastname", "surname", "family_name"}, "lastname"},
	{[]string{"username", "user_name", "login", "handle", "nickname"}, "username"},
	{[]string{"full_name", "fullname", "display_name"}, "name"},
	{[]string{"phone", "mobile", "telephone", "fax"}, "phone"},
	{[]string{"city", "town"}, "city"},
	{[]string{"country_code", "country_iso"}, "countryabr"},
	{[]string{"country"}, "country"},
	{[]string{"province", "region"}, "state"},
	{[]string{"zip", "zipcode", "postal_code", "postcode"}, "zip"},
	{[]string{"street", "address", "address1", "address_line1"}, "street"},
	{[]string{"url", "website", "homepage", "link", "href"}, "url"},
	{[]string{"domain", "hostname"}, "domainname"},
	{[]string{"user_agent", "useragent"}, "useragent"},
	{[]string{"color", "colour"}, "color"},
	{[]string{"currency"}, "currencyshort"},
	{[]string{"company", "organization", "organisation", "employer"}, "company"},
	{[]string{"job_title", "jobtitle", "occupation"}, "jobtitle"},
	{[]string{"gender", "sex"}, "gender"},
	{[]string{"ip", "ip_address", "ipaddress"}, "ipv4address"},
	{[]string{"uuid", "guid"}, "uuid"},
	{[]string{"category"}, "productcategory"},
	{[]string{"product", "product_name"}, "productname"},
	{[]string{"title", "subject", "headline", "summary"}, "title"},
	{[]string{"description", "body", "content", "text", "comment", "comments", "note", "notes", "bio", "message", "details"}, "sentence"},
}

// labelHints give status-like columns a few values, as they have in
// production (which matters for statistics and index choices).
var labelHints = []struct {
	words  []string
	labels []string
}{
	{[]string{"status", "state"}, []string{"active", "pending", "suspended", "closed"}},
	{[]string{"type", "kind", "tier", "plan"}, []string{"standard", "premium", "basic", "trial"}},
	{[]string{"role"}, []string{"member", "admin", "guest"}},
	{[]string{"priority", "severity", "level"}, []string{"low", "medium", "high"}},
	{[]string{"source", "channel"}, []string{"web", "mobile", "api", "email"}},
}

// nameGen picks what a "name" column holds from the table it is in.
func nameGen(tableName string) string {
	t := strings.ToLower(tableName)
	for _, h := range []struct {
		words []string
		gen   string
	}{
		{[]string{"product", "item", "sku", "article"}, "productname"},
		{[]string{"compan", "organi", "vendor", "supplier", "tenant", "account", "customer_org"}, "company"},
		{[]string{"cit"}, "city"},
		{[]string{"countr"}, "country"},
		{[]string{"user", "customer", "person", "people", "employee", "author", "member", "contact", "student", "patient", "staff"}, "name"},
	} {
		for _, w := range h.words {
			if strings.Contains(t, w) {
				return h.gen
			}
		}
	}
	return "title"
}

func textGen(tableName, colName string) RowFunc {
	gen := ""
	for _, h := range textHints {
		if nameHas(colName, h.words...) {
			gen = h.gen
			break
		}
	}
	if gen == "" && (colName == "name" || strings.HasSuffix(colName, "_name")) {
		gen = nameGen(tableName)
	}
	switch gen {
	case "":
		return func(f *gofakeit.Faker, _ int64) any { return f.Word() }
	case "title":
		return func(f *gofakeit.Faker, _ int64) any { return capitalize(f.Word()) + " " + f.Word() }
	case "sentence":
		return func(f *gofakeit.Faker, _ int64) any { return f.Sentence() }
	}
	fn, _, _ := generators[gen](&scenarios.ValueSpec{}, genContext{})
	return fn
}

func autoText(tableName string, col *column, r *rule, g genContext) (*autoGen, error) {
	maxLen := col.maxLength()
	if r.maxLen > 0 && (maxLen == 0 || r.maxLen < maxLen) {
		maxLen = r.maxLen
	}
	if !g.unique {
		for _, h := range labelHints {
			// A hint's labels must fit the column: level char(1) holds no "medium".
			if labels := fitting(h.labels, maxLen); nameHas(col.name, h.words...) && len(labels) > 0 {
				return fromList(col, labels, g)
			}
		}
	}
	base := textGen(tableName, col.name)
	fn := func(f *gofakeit.Faker, row int64) any {
		s := toString(base(f, row))
		for len(s) < r.minLen {
			s += " " + f.Word()
		}
		return truncate(s, maxLen)
	}
	if g.unique {
		g.maxLen = maxLen
		u, err := uniqueText(fn, g)
		if err != nil {
			return nil, err
		}
		fn = u
	}
	if maxLen > 0 && r.minLen > maxLen {
		return nil, fmt.Errorf("its CHECK constraints allow no length")
	}
	return &autoGen{fn: fn}, nil
}

// fitting returns the labels of at most maxLen characters (0: no limit).
func fitting(labels []string, maxLen int) []string {
	if maxLen <= 0 {
		return labels
	}
	var out []string
	for _, l := range labels {
		if len([]rune(l)) <= maxLen {
			out = append(out, l)
		}
	}
	return out
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func toString(v any) string {
	s, err := toText(v)
	if err != nil {
		return ""
	}
	return s
}

// autoArray makes one- to three-element arrays of the element type.
func autoArray(tableName string, col *column, g genContext) (RowFunc, bool) {
	elem := *col
	elem.array = false
	g.unique = false
	a, ok, err := autoColumn(tableName, &elem, nil, g)
	if !ok || err != nil {
		return nil, false
	}
	conv := arrayElem(col.category())
	return func(f *gofakeit.Faker, row int64) any {
		n := 1 + uniformN(f, 3)
		vals := make([]any, n)
		for i := range vals {
			vals[i] = conv(a.fn(f, row))
		}
		return vals
	}, true
}

// arrayElem converts auto values to what pgx encodes inside arrays.
func arrayElem(c category) func(any) any {
	switch c {
	case catNumeric:
		return func(v any) any {
			if d, ok := v.(decimal); ok {
				return float64(d.unscaled) / math.Pow10(int(d.scale))
			}
			return v
		}
	case catInet:
		return func(v any) any {
			p, err := inetValue(v)
			if err != nil {
				return nil
			}
			return p
		}
	case catJSON:
		return func(v any) any {
			if b, ok := v.([]byte); ok {
				return string(b)
			}
			return v
		}
	}
	return func(v any) any { return v }
}

// nameHas reports whether a column name is one of words, or starts or ends
// with one of them as a separate word ("billing_email", "email_address").
func nameHas(name string, words ...string) bool {
	name = strings.ToLower(name)
	for _, w := range words {
		if name == w || strings.HasSuffix(name, "_"+w) || strings.HasPrefix(name, w+"_") {
			return true
		}
	}
	return false
}

// deletedLike reports soft-delete timestamps, which are NULL for most rows.
func deletedLike(name string) bool {
	return nameHas(name, "deleted_at", "archived_at", "canceled_at", "cancelled_at", "removed_at", "deleted", "archived")
}
