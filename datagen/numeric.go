package datagen

import (
	"encoding/binary"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// decimal is unscaled × 10^-scale, scale at most maxDecimalScale: what
// number, price and the generators of numeric columns yield. pgx encodes
// numerics through math/big, which was a third of the loader's CPU on a table
// with one price column; decimal has its own binary encoding, registered on
// the loader's connections only.
type decimal struct {
	unscaled int64
	scale    uint16
}

// maxDecimalScale is the largest scale decimal encodes: its fraction, padded
// to whole base-10000 digits, must fit in a uint64.
const maxDecimalScale = 15

var pow10 = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// numericCodec is pgx's numeric codec with a fast path for decimal.
type numericCodec struct{ pgtype.NumericCodec }

func (c numericCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(decimal); ok && format == pgtype.BinaryFormatCode {
		return decimalPlan{}
	}
	return c.NumericCodec.PlanEncode(m, oid, format, value)
}

// registerDecimal makes conn encode decimal values for numeric columns.
func registerDecimal(conn *pgx.Conn) {
	conn.TypeMap().RegisterType(&pgtype.Type{Name: "numeric", OID: pgtype.NumericOID, Codec: numericCodec{}})
}

type decimalPlan struct{}

func (decimalPlan) Encode(value any, buf []byte) ([]byte, error) {
	return appendDecimal(buf, value.(decimal)), nil
}

// appendDecimal writes PostgreSQL's binary numeric: ndigits, weight, sign and
// dscale, then base-10000 digits from the most significant, with the decimal
// point on a digit boundary.
func appendDecimal(buf []byte, d decimal) []byte {
	u := uint64(d.unscaled)
	sign := uint16(0)
	if d.unscaled < 0 {
		u, sign = -u, 0x4000
	}
	scale := int(d.scale)
	intPart, frac := u/pow10[scale], u%pow10[scale]
	fracGroups := (scale + 3) / 4
	frac *= pow10[4*fracGroups-scale] // align the fraction on whole digits
	var ints [5]uint16                // 2^64 has 20 decimal digits: at most 5 integer digits
	ni := 0
	for ; intPart > 0; intPart /= 10000 {
		ints[ni] = uint16(intPart % 10000)
		ni++
	}
	var digits [9]uint16
	n := 0
	for i := ni - 1; i >= 0; i-- {
		digits[n] = ints[i]
		n++
	}
	for i := fracGroups - 1; i >= 0; i-- {
		digits[n] = uint16(frac / pow10[4*i] % 10000)
		n++
	}
	weight := ni - 1
	first, end := 0, n
	for first < end && digits[first] == 0 { // leading zeros of a value below 1
		first++
		weight--
	}
	for end > first && digits[end-1] == 0 { // trailing zero digits carry nothing
		end--
	}
	if first == end {
		weight, sign = 0, 0 // zero
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(end-first))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, d.scale)
	for _, g := range digits[first:end] {
		buf = binary.BigEndian.AppendUint16(buf, g)
	}
	return buf
}
