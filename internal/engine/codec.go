package engine

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/balancebot/balancebot/internal/rules"
)

// codecMagic starts every report MarshalBinary writes; the byte after it
// is the layout's version: 1 as first written, 2 with each visit's detail
// after its units. Both are read.
const (
	codecMagic   = "BBR"
	codecVersion = 2
)

// IsBinaryReport reports whether b was written by MarshalBinary.
func IsBinaryReport(b []byte) bool {
	return len(b) > len(codecMagic) && string(b[:len(codecMagic)]) == codecMagic &&
		(b[len(codecMagic)] == 1 || b[len(codecMagic)] == codecVersion)
}

// MarshalBinary encodes the report compactly for the store. Everything but
// the visits is JSON (small, and new fields need no new layout); the
// visits, which are nearly all of a report, are written field by field with
// varints and a table of locations. A month of a large group (500,000
// visits) encodes in tens of milliseconds where JSON took seconds.
func (r *Report) MarshalBinary() ([]byte, error) {
	head := *r
	head.Visits = nil
	meta, err := json.Marshal(&head)
	if err != nil {
		return nil, err
	}
	// The visits' names and ids, which the report's text holds, and up to
	// 24 bytes of small numbers a visit: sized once, not grown by copying.
	size := len(codecMagic) + 1 + len(meta) + 16 + len(r.text) + len(r.Visits)*25
	for _, l := range r.locs {
		size += len(l) + 2
	}
	buf := make([]byte, 0, size)
	buf = append(buf, codecMagic...)
	buf = append(buf, codecVersion)
	buf = binary.AppendUvarint(buf, uint64(len(meta)))
	buf = append(buf, meta...)

	// The location table, which each visit indexes.
	buf = binary.AppendUvarint(buf, uint64(len(r.locs)))
	for _, l := range r.locs {
		buf = appendString(buf, l)
	}
	buf = binary.AppendUvarint(buf, uint64(len(r.Visits)))
	for i := range r.Visits {
		v := &r.Visits[i]
		buf = binary.AppendUvarint(buf, uint64(v.loc))
		buf = appendString(buf, r.str(v.name))
		buf = appendString(buf, r.str(v.id))
		buf = appendString(buf, r.str(v.account))
		buf = binary.AppendVarint(buf, int64(v.DOS))
		buf = binary.AppendVarint(buf, int64(v.Count))
		buf = binary.AppendVarint(buf, int64(v.Lines))
		buf = binary.AppendUvarint(buf, uint64(v.Flags))
		// Units are whole numbers nearly always: a varint then; otherwise
		// the float's bits.
		buf = appendNumber(buf, v.Units)
		buf = appendNumber(buf, v.IEUnits)
		buf = binary.AppendUvarint(buf, uint64(v.detail))
	}
	return buf, nil
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// appendNumber writes a whole number as a zig-zag varint shifted left one
// bit, anything else as a 1 bit and the float's 64 bits.
func appendNumber(buf []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1<<52 && !(f == 0 && math.Signbit(f)) {
		return binary.AppendUvarint(buf, zigzag(int64(f))<<1)
	}
	buf = binary.AppendUvarint(buf, 1)
	return binary.LittleEndian.AppendUint64(buf, math.Float64bits(f))
}

func zigzag(n int64) uint64 { return uint64(n<<1) ^ uint64(n>>63) }

func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// errCodec is what a damaged encoding gives; the store names the upload.
var errCodec = errors.New("damaged report encoding")

// UnmarshalBinary decodes what MarshalBinary wrote. The visits' names and
// ids are references into one copy of b, and their names are hashed for
// the balance, so the report is ready to reconcile.
func (r *Report) UnmarshalBinary(b []byte) error {
	if !IsBinaryReport(b) {
		return fmt.Errorf("%w: not a binary report", errCodec)
	}
	own := bytes.Clone(b)
	version := b[len(codecMagic)]
	d := decoder{s: unsafe.String(unsafe.SliceData(own), len(own)), i: len(codecMagic) + 1}
	n := d.uvarint()
	meta := d.bytes(n)
	if d.err != nil {
		return d.err
	}
	var out Report
	if err := json.Unmarshal([]byte(meta), &out); err != nil {
		return fmt.Errorf("%w: %v", errCodec, err)
	}
	nl := d.uvarint()
	if nl > uint64(len(d.s)) {
		return fmt.Errorf("%w: %d locations", errCodec, nl)
	}
	locs := make([]string, nl)
	for i := range locs {
		locs[i] = d.str()
	}
	nv := d.uvarint()
	if d.err != nil {
		return d.err
	}
	// Each visit takes at least 11 bytes, which bounds a damaged count.
	if nv > uint64(len(d.s)-d.i)/11+1 {
		return fmt.Errorf("%w: %d visits in %d bytes", errCodec, nv, len(d.s)-d.i)
	}
	out.Visits = make([]Visit, nv)
	for i := range out.Visits {
		v := &out.Visits[i]
		li := d.uvarint()
		if li >= uint64(len(locs)) {
			if d.err == nil {
				d.err = fmt.Errorf("%w: location %d of %d", errCodec, li, len(locs))
			}
			return d.err
		}
		v.loc = uint32(li)
		v.name = d.text()
		v.id = d.text()
		v.account = d.text()
		v.DOS = rules.Date(d.varint())
		v.Count = int32(d.varint())
		v.Lines = int32(d.varint())
		v.Flags = rules.Flag(d.uvarint())
		v.Units = d.number()
		v.IEUnits = d.number()
		if version >= 2 {
			di := d.uvarint()
			if di > uint64(len(out.Details)) {
				if d.err == nil {
					d.err = fmt.Errorf("%w: detail %d of %d", errCodec, di, len(out.Details))
				}
				return d.err
			}
			v.detail = uint32(di)
		}
		if d.err != nil {
			return d.err
		}
	}
	if d.i != len(d.s) {
		return fmt.Errorf("%w: %d bytes left over", errCodec, len(d.s)-d.i)
	}
	if len(locs) == 0 {
		locs = []string{""}
	}
	out.locs, out.text = locs, own
	out.hashNames()
	out.sum()
	*r = out
	return nil
}

// decoder reads varints and strings from s, keeping the first error.
type decoder struct {
	s   string
	i   int
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", errCodec, what, d.i)
	}
	d.i = len(d.s)
}

func (d *decoder) uvarint() uint64 {
	var x uint64
	var s uint
	for j := 0; j < binary.MaxVarintLen64; j++ {
		if d.i >= len(d.s) {
			d.fail("truncated number")
			return 0
		}
		c := d.s[d.i]
		d.i++
		if c < 0x80 {
			return x | uint64(c)<<s
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	d.fail("overlong number")
	return 0
}

func (d *decoder) varint() int64 { return unzigzag(d.uvarint()) }

func (d *decoder) bytes(n uint64) string {
	if n > uint64(len(d.s)-d.i) {
		d.fail("truncated text")
		return ""
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

func (d *decoder) str() string { return d.bytes(d.uvarint()) }

// text is where the next string lies in s, as a report's text.
func (d *decoder) text() text {
	n := d.uvarint()
	at := d.i
	d.bytes(n)
	if d.err != nil || n == 0 {
		return text{}
	}
	return text{uint32(at), uint32(n)}
}

func (d *decoder) number() float64 {
	u := d.uvarint()
	if u&1 == 0 {
		return float64(unzigzag(u >> 1))
	}
	if len(d.s)-d.i < 8 {
		d.fail("truncated number")
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64([]byte(d.s[d.i : d.i+8])))
	d.i += 8
	return f
}
