package exports

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unsafe"
)

// csvScanner splits CSV text into records the way encoding/csv does with
// LazyQuotes (quotes inside a field are kept as they are), but without
// copying: a field is a view of the read buffer, or of the record buffer
// for fields that had to be unquoted, valid until the next call to next.
// Whoever keeps a field must copy it (balance.Builder does).
//
// Exports run to a million lines; encoding/csv allocates a string per
// record and copies every byte, which made reading most of the balance's
// time. A line is split in place, quoted fields included, unless a field
// has to change (an escaped quote, a field running onto the next line).
//
// Unlike encoding/csv, a blank line comes back as an empty record, so row
// numbers are the rows a spreadsheet shows.
type csvScanner struct {
	br     *bufio.Reader
	comma  byte
	fields []string
	// buf holds a record whose fields had quotes, ends where each field
	// ends in it.
	buf  []byte
	ends []int
	// long collects a line longer than the read buffer.
	long []byte
	n    int
}

func newCSVScanner(br *bufio.Reader, comma byte) *csvScanner {
	return &csvScanner{br: br, comma: comma}
}

// view is b as a string without a copy.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// readLine reads a line, "\r\n" turned to "\n", as encoding/csv does.
func (s *csvScanner) readLine() ([]byte, error) {
	line, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.long = append(s.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.br.ReadSlice('\n')
			s.long = append(s.long, line...)
		}
		line = s.long
	}
	if len(line) > 0 && err == io.EOF {
		err = nil
		// A trailing \r before the end of the file is dropped.
		if line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
	}
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

func trimNL(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return b[:len(b)-1]
	}
	return b
}

func (s *csvScanner) next() ([]string, error) {
	line, err := s.readLine()
	if len(line) == 0 {
		if err == nil {
			err = io.EOF
		}
		return nil, err
	}
	s.n++
	s.fields = s.fields[:0]
	if len(line) == 1 && line[0] == '\n' {
		return s.fields, nil // a blank row
	}
	if fields, ok := s.splitInPlace(line); ok {
		return fields, nil
	}
	return s.quoted(line, err)
}

// splitInPlace splits a one-line record into views of the
// line, as long as no field needs changing ("" inside quotes, a bare quote
// kept, a field running onto the next line). Otherwise it reports false and
// quoted parses the record the long way; the line is still intact then.
func (s *csvScanner) splitInPlace(line []byte) ([]string, bool) {
	comma := s.comma
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, comma)
			if i < 0 {
				s.fields = append(s.fields, view(trimNL(line)))
				return s.fields, true
			}
			s.fields = append(s.fields, view(line[:i]))
			line = line[i+1:]
			continue
		}
		i := bytes.IndexByte(line[1:], '"')
		if i < 0 {
			break // runs onto the next line
		}
		field, rest := line[1:1+i], line[2+i:]
		switch {
		case len(rest) > 0 && rest[0] == comma:
			s.fields = append(s.fields, view(field))
			line = rest[1:]
		case len(rest) == 0 || len(rest) == 1 && rest[0] == '\n':
			s.fields = append(s.fields, view(field))
			return s.fields, true
		default:
			s.fields = s.fields[:0]
			return nil, false // "" or a bare quote: the long way
		}
	}
	s.fields = s.fields[:0]
	return nil, false
}

// quoted parses a record with quotes into buf, reading on while a quoted
// field runs past the end of the line. It follows encoding/csv's parser
// with LazyQuotes set, so both give the same fields.
func (s *csvScanner) quoted(line []byte, errRead error) ([]string, error) {
	s.buf = s.buf[:0]
	s.ends = s.ends[:0]
	comma := s.comma
parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			// An unquoted field: up to the separator or the line's end.
			i := bytes.IndexByte(line, comma)
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = trimNL(field)
			}
			s.buf = append(s.buf, field...)
			s.ends = append(s.ends, len(s.buf))
			if i >= 0 {
				line = line[i+1:]
				continue parseField
			}
			break parseField
		}
		// A quoted field.
		line = line[1:]
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				s.buf = append(s.buf, line[:i]...)
				line = line[i+1:]
				switch {
				case len(line) > 0 && line[0] == '"':
					s.buf = append(s.buf, '"') // "" is a quote
					line = line[1:]
				case len(line) > 0 && line[0] == comma:
					line = line[1:]
					s.ends = append(s.ends, len(s.buf))
					continue parseField
				case len(line) == 0 || len(line) == 1 && line[0] == '\n':
					s.ends = append(s.ends, len(s.buf))
					break parseField
				default:
					s.buf = append(s.buf, '"') // a bare quote, kept
				}
			case len(line) > 0:
				// The field goes on past the end of the line.
				s.buf = append(s.buf, line...)
				if errRead != nil {
					break parseField
				}
				line, errRead = s.readLine()
				if errRead == io.EOF {
					errRead = nil
				}
			default:
				// The file ends inside the quotes.
				s.ends = append(s.ends, len(s.buf))
				break parseField
			}
		}
	}
	if errRead != nil && !errors.Is(errRead, io.EOF) {
		return nil, errRead
	}
	start := 0
	for _, end := range s.ends {
		s.fields = append(s.fields, view(s.buf[start:end]))
		start = end
	}
	return s.fields, nil
}

func (s *csvScanner) row() int { return s.n }
