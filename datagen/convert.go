package datagen

import (
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// converter turns a generated value (never nil) into a Go value that pgx's
// binary COPY encodes for the column's type.
type converter func(v any) (any, error)

// converterFor checks that what out describes fits col and returns the
// conversion to apply to each value; nil means values pass through as they are.
func converterFor(col *column, out output) (converter, error) {
	if col.array {
		return nil, fmt.Errorf("datagen fills array columns itself (one to three elements of the type); leave %s out of columns", col.name)
	}
	switch col.category() {
	case catInt:
		return nil, intFits(col, out)
	case catNumeric:
		return numericConverter(col, out)
	case catFloat:
		return floatConverter(out)
	case catText:
		return textConverter(out.kind, col.maxLength()), nil
	case catUUID:
		return only(out, uuidValue, kindUUID)
	case catTime:
		return only(out, nil, kindTime)
	case catBool:
		return only(out, nil, kindBool)
	case catInet:
		return only(out, inetValue, kindIP)
	case catJSON:
		return jsonConverter(out), nil
	case catEnum:
		return only(out, nil, kindString)
	case catBytea:
		return only(out, func(v any) (any, error) {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("want a string, got %T", v)
			}
			return []byte(s), nil
		}, kindString, kindUUID, kindIP)
	}
	return nil, fmt.Errorf("datagen cannot write type %s; leave the column out (give it a default) or change its type", col.typ)
}

// mismatch is the error for values that a column type cannot hold.
func mismatch(out output) error {
	return fmt.Errorf("%s yields %s, which do not fit", out.source, out.kind)
}

func only(out output, conv converter, kinds ...kind) (converter, error) {
	for _, k := range kinds {
		if out.kind == k {
			return conv, nil
		}
	}
	return nil, mismatch(out)
}

func intFits(col *column, out output) error {
	if out.kind != kindInt {
		return mismatch(out)
	}
	lo, hi := intRange(col.base)
	if out.bounded && (out.lo < lo || out.hi > hi) {
		return fmt.Errorf("%s yields values in %.0f..%.0f, beyond the type's range", out.source, out.lo, out.hi)
	}
	return nil
}

func numericFits(col *column, out output) error {
	if out.kind != kindInt && out.kind != kindFloat && out.kind != kindNumeric {
		return mismatch(out)
	}
	precision, scale, ok := col.numericPrecision()
	if !ok || !out.bounded {
		return nil
	}
	// The value is rounded to the scale first: 999.995 fits numeric(5,2) as 1000.00 would not.
	unit := math.Pow10(scale)
	largest := math.Round(math.Max(math.Abs(out.lo), math.Abs(out.hi))*unit) / unit
	if largest >= math.Pow10(precision-scale) {
		return fmt.Errorf("%s yields values up to %v, beyond the type's %d digits before the point", out.source, largest, precision-scale)
	}
	return nil
}

func numericConverter(col *column, out output) (converter, error) {
	if err := numericFits(col, out); err != nil {
		return nil, err
	}
	switch {
	case out.kind == kindInt:
		return func(v any) (any, error) {
			n, ok := v.(int64)
			if !ok {
				return nil, fmt.Errorf("want an integer, got %T", v)
			}
			return decimal{unscaled: n}, nil
		}, nil
	case out.kind == kindFloat && out.cents:
		return func(v any) (any, error) {
			x, ok := v.(float64)
			if !ok {
				return nil, fmt.Errorf("want a decimal, got %T", v)
			}
			return decimal{unscaled: int64(math.Round(x * 100)), scale: 2}, nil
		}, nil
	}
	return nil, nil
}

func floatConverter(out output) (converter, error) {
	switch out.kind {
	case kindFloat, kindNumeric:
		return nil, nil
	case kindInt:
		return func(v any) (any, error) {
			n, ok := v.(int64)
			if !ok {
				return nil, fmt.Errorf("want an integer, got %T", v)
			}
			return float64(n), nil
		}, nil
	}
	return nil, mismatch(out)
}

// textConverter formats any value as text and cuts it to maxLen characters
// (0: no limit), as PostgreSQL would refuse a longer value for varchar(n).
func textConverter(k kind, maxLen int) converter {
	if k == kindString && maxLen == 0 {
		return nil
	}
	return func(v any) (any, error) {
		s, err := toText(v)
		if err != nil {
			return nil, err
		}
		return truncate(s, maxLen), nil
	}
}

func toText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case [16]byte:
		return formatUUID(x), nil
	case fmt.Stringer:
		return x.String(), nil
	case driver.Valuer:
		dv, err := x.Value()
		if err != nil {
			return "", err
		}
		return fmt.Sprint(dv), nil
	}
	return fmt.Sprint(v), nil
}

func truncate(s string, maxLen int) string {
	if maxLen == 0 || len(s) <= maxLen {
		return s
	}
	n := 0
	for i := range s {
		if n == maxLen {
			return s[:i]
		}
		n++
	}
	return s
}

func uuidValue(v any) (any, error) {
	switch x := v.(type) {
	case [16]byte:
		return x, nil
	case string:
		return parseUUID(x)
	}
	return nil, fmt.Errorf("want a uuid, got %T", v)
}

// parseUUID reads the canonical 8-4-4-4-12 form.
func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("%q is not a uuid", s)
	}
	digits := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(digits)); err != nil {
		return u, fmt.Errorf("%q is not a uuid", s)
	}
	return u, nil
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	hex.Encode(b[9:13], u[4:6])
	hex.Encode(b[14:18], u[6:8])
	hex.Encode(b[19:23], u[8:10])
	hex.Encode(b[24:36], u[10:16])
	b[8], b[13], b[18], b[23] = '-', '-', '-', '-'
	return string(b[:])
}

func inetValue(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("want an IP address, got %T", v)
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return nil, err
	}
	return netip.PrefixFrom(addr, addr.BitLen()), nil
}

// jsonConverter makes generated text a JSON string: pgx sends a Go string to
// a json column as raw JSON, and "Alice" is not JSON.
func jsonConverter(out output) converter {
	switch out.kind {
	case kindString, kindUUID, kindIP:
		return func(v any) (any, error) {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("want a string, got %T", v)
			}
			return json.Marshal(s)
		}
	}
	return nil
}

// constantFor converts a constant once, before loading, so that a constant
// that does not fit its column is reported up front. Strings are parsed for
// the column's type, the way a user would write a literal in SQL.
func constantFor(col *column, v any, out output) (any, error) {
	if col.array {
		_, err := converterFor(col, out) // arrays are datagen's to fill
		return nil, err
	}
	s, isString := v.(string)
	if !isString || out.kind != kindString {
		conv, err := converterFor(col, out)
		if err != nil || conv == nil {
			return v, err
		}
		return conv(v)
	}
	parsed, err := parseConstant(col, s, out)
	if err != nil {
		return nil, fmt.Errorf("value %q is not a valid %s", s, col.typ)
	}
	return parsed, nil
}

func parseConstant(col *column, s string, out output) (any, error) {
	switch col.category() {
	case catInt:
		return strconv.ParseInt(s, 10, 64)
	case catFloat:
		return strconv.ParseFloat(s, 64)
	case catNumeric:
		return numericConstant(s)
	case catUUID:
		return parseUUID(s)
	case catTime:
		return parseTime(s)
	case catBool:
		return strconv.ParseBool(s)
	case catInet:
		return inetValue(s)
	case catJSON:
		if !json.Valid([]byte(s)) {
			return nil, errors.New("not JSON")
		}
		return s, nil
	}
	conv, err := converterFor(col, out)
	if err != nil || conv == nil {
		return s, err
	}
	return conv(s)
}

func numericConstant(s string) (any, error) {
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return nil, err
	}
	var n pgtype.Numeric
	return n, n.Scan(s)
}
