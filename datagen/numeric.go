package datagen

import (
	"encoding/binary"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// decimal is unscaled × 10^-scale with scale 0 or 2: what number and price
// yield for numeric columns. pgx encodes numerics through math/big, which was
// a third of the loader's CPU on a table with one price column; decimal has
// its own binary encoding, registered on the loader's connections only.
type decimal struct {
	unscaled int64
	scale    uint16
}

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
	var groups [6]uint16 // 2^64 has 20 decimal digits: at most 6 groups
	n, fracDigits := 0, 0
	if d.scale == 2 {
		// Two decimals fill the upper half of one base-10000 digit.
		groups[0] = uint16(u%100) * 100
		u /= 100
		n, fracDigits = 1, 1
	}
	for ; u > 0; u /= 10000 {
		groups[n] = uint16(u % 10000)
		n++
	}
	low := 0 // trailing zero digits carry nothing
	for low < n && groups[low] == 0 {
		low++
	}
	weight := n - fracDigits - 1
	if low == n {
		weight = 0 // zero
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(n-low))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, d.scale)
	for i := n - 1; i >= low; i-- {
		buf = binary.BigEndian.AppendUint16(buf, groups[i])
	}
	return buf
}
