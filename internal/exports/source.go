package exports

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/balancebot/balancebot/internal/rules"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// rowSource yields the rows of one sheet or CSV file.
type rowSource interface {
	// next returns the next row's cells, or io.EOF after the last. The
	// slice and its strings may be reused by the following call.
	next() ([]string, error)
	// row is the number of the row next last returned, as a spreadsheet
	// shows it (the first row is 1).
	row() int
	// epoch is the Excel date epoch for serial dates, or 0 where a cell
	// cannot hold one.
	epoch() rules.Date
}

// format is what a file's first bytes say it is.
type format int

const (
	formatCSV format = iota
	formatXLSX
	formatEmpty
	formatPDF
	formatXLS
	formatZip
	formatNumbers
	formatODS
	formatHTML
	formatBinary
)

const sniffLen = 8 << 10

// sniff tells the format from the first bytes.
func sniff(head []byte) format {
	switch {
	case len(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))) == 0:
		return formatEmpty
	case bytes.HasPrefix(head, []byte("%PDF")):
		return formatPDF
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0")):
		return formatXLS
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		switch {
		case bytes.Contains(head, []byte("opendocument")):
			return formatODS
		case bytes.Contains(head, []byte("xl/")) || bytes.Contains(head, []byte("[Content_Types].xml")):
			return formatXLSX
		case bytes.Contains(head, []byte(".iwa")) || bytes.Contains(head, []byte("Index/")):
			return formatNumbers // Apple Numbers keeps its tables in .iwa files
		}
		return formatZip
	case bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")):
		return formatCSV // UTF-16 text, decoded in newCSVSource
	}
	lower := bytes.ToLower(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))))
	if bytes.HasPrefix(lower, []byte("<!doctype html")) || bytes.HasPrefix(lower, []byte("<html")) ||
		bytes.HasPrefix(lower, []byte("<table")) || bytes.HasPrefix(lower, []byte("<?xml")) {
		return formatHTML
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return formatBinary
	}
	// Text with many control characters other than tab, CR and LF is not
	// an export.
	ctl := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' {
			ctl++
		}
	}
	if ctl > len(head)/100+1 {
		return formatBinary
	}
	return formatCSV
}

// formatError is what a user is told about a file that is not CSV or XLSX.
func formatError(name string, f format) error {
	const works = "balancebot reads CSV (comma, semicolon or tab separated) and Excel .xlsx exports"
	switch f {
	case formatEmpty:
		return rules.FileErrorf(name, "the file is empty. Export the report again; if it has no rows for these dates, there is nothing to balance.")
	case formatPDF:
		return rules.FileErrorf(name, "this is a PDF, which cannot be read as data. %s: export the report from WebPT as CSV or Excel instead of PDF.", works)
	case formatXLS:
		return rules.FileErrorf(name, "this is an old Excel 97-2003 workbook (.xls) or a password-protected one. %s: open it in Excel and save it as .xlsx or CSV (without a password).", works)
	case formatODS:
		return rules.FileErrorf(name, "this is an OpenDocument spreadsheet (.ods). %s: save it as .xlsx or CSV.", works)
	case formatNumbers:
		return rules.FileErrorf(name, "this is an Apple Numbers spreadsheet. %s: in Numbers, choose File > Export To > CSV (or Excel), and share that file.", works)
	case formatZip:
		if strings.HasSuffix(strings.ToLower(name), ".numbers") {
			return formatError(name, formatNumbers)
		}
		return rules.FileErrorf(name, "this is a ZIP archive, not an Excel workbook. %s: unzip it and use the export inside.", works)
	case formatHTML:
		return rules.FileErrorf(name, "this is a web page or XML, not a spreadsheet (some systems save web pages with an .xls name). %s: open it in Excel and save it as .xlsx or CSV.", works)
	case formatBinary:
		return rules.FileErrorf(name, "this is not a text or Excel file (it holds binary data). %s.", works)
	}
	return rules.FileErrorf(name, "unreadable file. %s.", works)
}

// csvSource reads a CSV, semicolon- or tab-separated file.
type csvSource struct {
	s *csvScanner
}

// newCSVSource prepares a text export: it decodes UTF-16 and Windows-1252
// to UTF-8, drops a byte-order mark and sniffs the delimiter.
func newCSVSource(br *bufio.Reader) (*csvSource, error) {
	head, _ := br.Peek(sniffLen)
	var in io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		// Excel's "Unicode Text" is UTF-16 with a BOM, tab separated.
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		in = bufio.NewReaderSize(transform.NewReader(br, dec), 256<<10)
	case !validUTF8Prefix(head):
		// Older Windows exports are Windows-1252 ("José" as one byte).
		in = bufio.NewReaderSize(transform.NewReader(br, charmap.Windows1252.NewDecoder()), 256<<10)
	}
	bin := in.(*bufio.Reader)
	sample, _ := bin.Peek(sniffLen)
	if bytes.HasPrefix(sample, []byte("\xef\xbb\xbf")) {
		bin.Discard(3)
		sample = sample[3:]
	}
	return &csvSource{s: newCSVScanner(bin, byte(sniffDelimiter(sample)))}, nil
}

// validUTF8Prefix reports whether b is UTF-8, allowing a character cut off
// at its end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// sniffDelimiter picks the separator that splits the most lines into the
// same number of fields, counting only outside quotes. Preamble lines have
// few separators; the header and data lines agree.
func sniffDelimiter(sample []byte) rune {
	cands := []byte{',', ';', '\t', '|'}
	counts := make([][]int, len(cands))
	line := make([]int, len(cands))
	inQuote := false
	lines := 0
	for _, c := range sample {
		switch {
		case c == '"':
			inQuote = !inQuote
		case c == '\n' && !inQuote:
			for i := range cands {
				counts[i] = append(counts[i], line[i])
				line[i] = 0
			}
			lines++
		case !inQuote:
			for i, d := range cands {
				if c == d {
					line[i]++
				}
			}
		}
		if lines >= 50 {
			break
		}
	}
	best, bestScore := ',', 0
	for i, d := range cands {
		// The most common non-zero count, and how many lines have it.
		freq := map[int]int{}
		for _, n := range counts[i] {
			if n > 0 {
				freq[n]++
			}
		}
		score := 0
		for n, f := range freq {
			if s := f*1000 + n; s > score {
				score = s
			}
		}
		if score > bestScore {
			best, bestScore = rune(d), score
		}
	}
	return best
}

// next returns the next row. Its strings are views of a buffer that the
// next call reuses.
func (s *csvSource) next() ([]string, error) {
	rec, err := s.s.next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, &rowError{row: s.s.row() + 1, msg: fmt.Sprintf("the file cannot be read here (%v). Export the report again.", err)}
	}
	return rec, nil
}

func (s *csvSource) row() int          { return s.s.row() }
func (s *csvSource) epoch() rules.Date { return 0 }

// rowError is an error about one row of the file being read.
type rowError struct {
	row int
	msg string
}

func (e *rowError) Error() string { return fmt.Sprintf("row %d: %s", e.row, e.msg) }

// xlsxSource reads one sheet of a workbook.
type xlsxSource struct {
	rows *excelize.Rows
	n    int
	ep   rules.Date
}

// Limits on what a workbook may unpack to, so a crafted file (a "zip
// bomb") cannot exhaust memory or disk.
type xlsxLimits struct {
	unzip int64 // total bytes a workbook may unzip to
	xml   int64 // bytes of one sheet's XML kept in memory before spilling
	// memory is what the parts read into memory may add up to: every part
	// but the sheets and the shared-string table that spill to disk.
	memory int64
}

// checkZip refuses a workbook that would unpack to more than the limit, or
// that looks built to exhaust memory: a part compressed more than 100:1
// past a few megabytes (a "zip bomb"), or a shared-string table larger
// than a quarter of the limit (excelize holds it in memory whole). The
// sizes checked are the declared ones; archive/zip refuses to read past
// them, so a header that lies fails too.
func checkZip(name string, data []byte, lim xlsxLimits) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return rules.FileErrorf(name, "this Excel file cannot be opened; it may be damaged or cut short (%v). Download or export it again, or save it as CSV.", err)
	}
	var total, inMemory uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		// excelize reads a part into memory unless it is a sheet or the
		// shared-string table larger than the XML limit, which it spills
		// to disk: every other part counts against the memory budget,
		// whatever its size (a bomb of many 4 MB parts, say).
		n := strings.ToLower(f.Name)
		spills := f.UncompressedSize64 > uint64(lim.xml) && (n == "xl/sharedstrings.xml" || strings.HasPrefix(n, "xl/worksheets/sheet"))
		if !spills {
			inMemory += f.UncompressedSize64
		}
		switch {
		case inMemory > uint64(lim.memory):
			return rules.FileErrorf(name, "this workbook's parts add up to more than %d MB to hold in memory, far more than an export needs (it may be built to exhaust memory). Export the report again from WebPT, or save it as CSV.", lim.memory>>20)
		case total > uint64(lim.unzip):
			return rules.FileErrorf(name, "this workbook unpacks to more than %d MB, more than an export of one period needs. Export a shorter date range, or save it as CSV.", lim.unzip>>20)
		case f.UncompressedSize64 > 4<<20 && f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > 100:
			return rules.FileErrorf(name, "this workbook is compressed %d to 1, far beyond any real export (it looks built to exhaust memory). Export the report again from WebPT, or save it as CSV.", f.UncompressedSize64/f.CompressedSize64)
		case strings.EqualFold(f.Name, "xl/sharedStrings.xml") && f.UncompressedSize64 > uint64(lim.unzip/4):
			return rules.FileErrorf(name, "this workbook's table of text values is %d MB, more than an export needs. Save it as CSV, or export a shorter date range.", f.UncompressedSize64>>20)
		}
	}
	return nil
}

// openXLSX opens a workbook and returns the sheets in order.
func openXLSX(name string, r io.Reader, lim xlsxLimits) (*excelize.File, error) {
	f, err := excelize.OpenReader(r, excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    lim.unzip,
		UnzipXMLSizeLimit: min(lim.xml, lim.unzip),
	})
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "unzip size exceeds"), strings.Contains(msg, "size limit"):
			return nil, rules.FileErrorf(name, "this workbook unpacks to more than %d MB, more than an export of one period needs. Export a shorter date range, or save it as CSV.", lim.unzip>>20)
		case strings.Contains(msg, "password") || strings.Contains(msg, "encrypt"):
			return nil, rules.FileErrorf(name, "this workbook is password protected. Save it again in Excel without a password, or export it as CSV.")
		}
		return nil, rules.FileErrorf(name, "this Excel file cannot be opened; it may be damaged or cut short (%v). Download or export it again, or save it as CSV.", err)
	}
	return f, nil
}

func newXLSXSource(f *excelize.File, sheet string) (*xlsxSource, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, err
	}
	ep := excel1900
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil && *props.Date1904 {
		ep = excel1904
	}
	return &xlsxSource{rows: rows, ep: ep}, nil
}

func (s *xlsxSource) next() ([]string, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, &rowError{row: s.n + 1, msg: fmt.Sprintf("the sheet cannot be read here (%v). Export the report again, or save it as CSV.", err)}
		}
		return nil, io.EOF
	}
	s.n++
	cols, err := s.rows.Columns()
	if err != nil {
		return nil, &rowError{row: s.n, msg: fmt.Sprintf("the sheet cannot be read here (%v). Export the report again, or save it as CSV.", err)}
	}
	return cols, nil
}

func (s *xlsxSource) row() int          { return s.n }
func (s *xlsxSource) epoch() rules.Date { return s.ep }
