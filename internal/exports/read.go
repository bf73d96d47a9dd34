// Package exports reads the report exports users drop into the channel: CSV
// and XLSX files whose layouts vary with how the report was run. It finds
// the header by content, maps columns through aliases, reads the preamble,
// skips group and total rows, recognises the report kind and folds the rows
// into a engine.Report as it streams, so memory grows with visits, not
// with file size.
package exports

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/rules"
)

// Options tune how a file is read.
type Options struct {
	// Kind forces the report kind instead of recognising it.
	Kind rules.Kind
	// Location is the location of a file that names none itself.
	Location string
	// IECodes is the initial-evaluation code set; nil means the default.
	IECodes rules.CodeSet
	// MaxRows refuses files with more data rows; 0 means no limit.
	MaxRows int
	// MaxUnzip limits what an XLSX may unpack to; 0 means 1 GiB.
	MaxUnzip int64
	// SizeHint is the file's size, when the caller knows it and the
	// reader cannot tell (Read finds it for files and byte readers).
	SizeHint int64
}

// ReadFile reads the export at path. Messages name the file by its base
// name, as the user knows it.
func ReadFile(path string, opt Options) (*engine.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, rules.FileErrorf(filepath.Base(path), "cannot open the file: %v", errors.Unwrap(err))
	}
	defer f.Close()
	return Read(filepath.Base(path), f, opt)
}

// Read reads one export called name from r.
//
// Every error that is the user's to fix is a *rules.Error naming the file
// (and row, where it applies) and saying how to fix it.
func Read(name string, r io.Reader, opt Options) (rep *engine.Report, err error) {
	defer func() {
		// A reader must never take the bot down, whatever the file holds.
		// It is our fault, not the user's (EInternal), but the user still
		// gets an answer that names the file.
		if p := recover(); p != nil {
			rep, err = nil, &rules.Error{Code: rules.EInternal, File: name,
				Message: fmt.Sprintf("balancebot failed while reading this file (%v). Please report it; meanwhile, try saving it as CSV.", p)}
		}
	}()
	if opt.SizeHint == 0 {
		switch x := r.(type) {
		case interface{ Size() int64 }: // bytes.Reader, strings.Reader
			opt.SizeHint = x.Size()
		case *os.File:
			if st, err := x.Stat(); err == nil {
				opt.SizeHint = st.Size()
			}
		}
	}
	br := bufio.NewReaderSize(r, 256<<10)
	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, rules.FileErrorf(name, "cannot read the file: %v", err)
	}
	switch f := sniff(head); f {
	case formatCSV:
		src, err := newCSVSource(br)
		if err != nil {
			return nil, err
		}
		return readTable(name, src, opt)
	case formatXLSX:
		return readWorkbook(name, br, opt)
	default:
		return nil, formatError(name, f)
	}
}

// maxInMemory bounds what a workbook's parts may take in memory while it
// is read (docs/performance.md: an upload's peak stays under 512 MB).
const maxInMemory = 256 << 20

func readWorkbook(name string, r io.Reader, opt Options) (*engine.Report, error) {
	lim := xlsxLimits{unzip: opt.MaxUnzip, xml: 16 << 20, memory: maxInMemory}
	if lim.unzip <= 0 {
		lim.unzip = 1 << 30
	}
	// A workbook is a zip: it is read whole, and its directory is checked
	// before anything is unpacked.
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, rules.FileErrorf(name, "cannot read the file: %v", err)
	}
	if err := checkZip(name, data, lim); err != nil {
		return nil, err
	}
	f, err := openXLSX(name, bytes.NewReader(data), lim)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, rules.FileErrorf(name, "the workbook has no sheets. Export the report again.")
	}
	var first error
	for _, sheet := range sheets {
		src, err := newXLSXSource(f, sheet)
		if err != nil {
			continue
		}
		rep, err := readTable(name, src, opt)
		if err == nil {
			return rep, nil
		}
		// The first sheet with a header is the report; a cover sheet or
		// notes before it are passed over.
		var ne *noHeaderError
		if !errors.As(err, &ne) {
			return nil, err
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// noHeaderError is returned when no row looks like a header.
type noHeaderError struct{ err *rules.Error }

func (e *noHeaderError) Error() string { return e.err.Error() }
func (e *noHeaderError) Unwrap() error { return e.err }

// tableReader reads one table (a CSV file or a sheet) row by row.
type tableReader struct {
	name string
	opt  Options
	src  rowSource
	hdr  *header
	kind rules.Kind
	b    *engine.Builder
	// ctx holds values of labelled group rows ("Location: Uptown"), which
	// apply to the rows under them.
	ctx   [numFields]string
	lines int
	// lastDate is the last date of service read and its cell's text (a
	// copy: the source reuses its buffers); dates remembers the others
	// already read, by their text: an export of a month repeats a few
	// dozen dates a million times.
	lastDate struct {
		cell []byte
		d    rules.Date
	}
	dates dateCache
	// notTotal is the last patient name that is not a total's label (a
	// copy).
	notTotal []byte
	// line is the row being decoded.
	line rules.Line
}

func readTable(name string, src rowSource, opt Options) (*engine.Report, error) {
	t := &tableReader{name: name, opt: opt, src: src}
	// The header is found by content among the first rows.
	var head [][]string
	var rowNums []int
	for len(head) < headerScanRows {
		cells, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, t.wrap(err)
		}
		// The source reuses its buffers; the rows searched for the header
		// are kept, so they are copied.
		row := make([]string, len(cells))
		for i, c := range cells {
			row[i] = strings.Clone(c)
		}
		head = append(head, row)
		rowNums = append(rowNums, src.row())
	}
	at, hdr := findHeader(head)
	if hdr == nil {
		if allBlank(head) {
			return nil, &noHeaderError{rules.FileErrorf(name, "the file has no rows. Export the report again; if it has no rows for these dates, there is nothing to balance.")}
		}
		if first := firstTextRow(head); first != nil {
			e := rules.FileErrorf(name, "its columns%s are not those of a report balancebot reads: it needs a Date of Service and a Patient column, with CPT Code and Units, Visits, Status or an exception reason depending on the report (or a New Patients column). Export the report with those columns shown.", rules.CellMark)
			e.Cell = " (" + strings.Join(first, ", ") + ")"
			return nil, &noHeaderError{e}
		}
		return nil, &noHeaderError{rules.FileErrorf(name, "no header row found in the first %d rows: expected a row of column names such as Patient, Date of Service, CPT Code, Units or Visits. Export the report with its column headers shown.", headerScanRows)}
	}
	hdr.row = rowNums[at]
	t.hdr = hdr
	pre := readPreamble(head[:at])
	kind, err := t.decideKind(pre)
	if err != nil {
		return nil, err
	}
	t.kind = kind
	cols := rules.Columns{
		Name:      hdr.hasName(),
		PatientID: hdr.has(fPatientID),
		Account:   hdr.has(fAccount),
		Location:  hdr.has(fLocation),
		Units:     hdr.has(fUnits),
		Visits:    hdr.has(fVisits),
		CPT:       hdr.has(fCPT),
	}
	t.b = engine.NewBuilder(name, kind, cols, opt.IECodes)
	if opt.SizeHint > 0 {
		// About 150 bytes of export per visit: CPT-line reports run to
		// 200, visit-per-row reports to 60; the index grows past a miss.
		t.b.Grow(int(opt.SizeHint / 150))
	}
	loc := pre.location
	if loc == "" {
		loc = opt.Location
	}
	t.b.Header(loc, pre.period, pre.dateBasis, pre.stated)

	for i := at + 1; i < len(head); i++ {
		if err := t.row(head[i], rowNums[i]); err != nil {
			return nil, err
		}
	}
	for {
		cells, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, t.wrap(err)
		}
		if err := t.row(cells, src.row()); err != nil {
			return nil, err
		}
	}
	return t.b.Report(), nil
}

// firstTextRow returns the cells of the first row that reads like a header
// (two or more cells, no numbers or dates), to show the user what was found.
func firstTextRow(rows [][]string) []string {
	for _, r := range rows {
		var cells []string
		ok := true
		for _, c := range r {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			if _, isDate := parseDate(c, 0); isNumeric(c) || isDate || strings.HasSuffix(c, ":") {
				ok = false
				break
			}
			cells = append(cells, c)
		}
		if ok && len(cells) >= 2 {
			return cells
		}
	}
	return nil
}

func allBlank(rows [][]string) bool {
	for _, r := range rows {
		for _, c := range r {
			if strings.TrimSpace(c) != "" {
				return false
			}
		}
	}
	return true
}

func (t *tableReader) wrap(err error) error {
	var re *rowError
	if errors.As(err, &re) {
		return rules.RowErrorf(t.name, re.row, "%s", re.msg)
	}
	var be *rules.Error
	if errors.As(err, &be) {
		return err
	}
	return rules.FileErrorf(t.name, "cannot read the file: %v", err)
}

// cell returns the trimmed value of field f in a row.
func (t *tableReader) cell(cells []string, f field) string {
	i := t.hdr.col[f]
	if uint(i) >= uint(len(cells)) {
		return ""
	}
	return trim(cells[i])
}

// trim is strings.TrimSpace with a shortcut for the common cell, which
// starts and ends with a printable ASCII character: most cells of a
// million-line export go through it.
func trim(s string) string {
	if len(s) == 0 || s[0] > ' ' && s[0] < utf8.RuneSelf && s[len(s)-1] > ' ' && s[len(s)-1] < utf8.RuneSelf {
		return s
	}
	return strings.TrimSpace(s)
}

// row handles one row below the header.
func (t *tableReader) row(cells []string, n int) error {
	// Only none, one, or more matter.
	nonEmpty, only := 0, -1
	for i, c := range cells {
		if c != "" && trim(c) != "" {
			nonEmpty++
			only = i
			if nonEmpty > 1 {
				break
			}
		}
	}
	if nonEmpty == 0 {
		return nil
	}
	if nonEmpty == 1 && (only >= len(t.hdr.cols) || t.hdr.cols[only] != fDOS || groupHeading(cells[only])) {
		// One value alone is a group heading or a count, never a visit: a
		// visit needs at least a patient and a date.
		if _, ok := totalRow(cells); !ok {
			t.groupRow(strings.TrimSpace(cells[only]))
		}
		return nil
	}
	if t.opt.MaxRows > 0 && t.lines >= t.opt.MaxRows {
		return rules.FileErrorf(t.name, "the file has more than %d rows, the most balancebot takes in one file. Export a shorter date range, or one location at a time.", t.opt.MaxRows)
	}
	// Most rows are visits: they are decoded first, and only a row that
	// does not decode, or whose patient is a total's label, is looked at
	// as a total row or a repeated header. The Insurance Class Summary's
	// rows need no date or patient, so its total row is looked for always.
	if t.kind == rules.KindInsuranceClassSummary {
		if t.totalRow(cells) {
			return nil
		}
	}
	// The row is decoded into a Line kept by the reader: a Line is over a
	// hundred bytes, and returning and passing it by value was a
	// noticeable part of each row.
	l := &t.line
	skip, err := t.decode(cells, n, l)
	if err != nil || skip {
		if t.totalRow(cells) || t.repeatsHeader(cells) {
			return nil
		}
		return err
	}
	// A visit's CPT lines repeat its patient: a name found not to be a
	// total's label is not looked at again on the next row.
	if name := l.Patient.Name; string(t.notTotal) != name {
		if _, ok := totalLabel(name); ok {
			if t.totalRow(cells) {
				return nil
			}
		} else {
			t.notTotal = append(t.notTotal[:0], name...)
		}
	}
	t.lines++
	t.b.Add(l)
	return nil
}

// totalRow reports whether cells are a total or subtotal row, keeping the
// report's grand total when they are that.
func (t *tableReader) totalRow(cells []string) bool {
	grand, ok := totalRow(cells)
	if ok && grand {
		t.grandTotal(cells)
	}
	return ok
}

// totalRow reports whether a row is a total or subtotal row, and whether it
// is the grand total of the whole report. Reports write the label at the
// start of the row, so only its first three values are looked at.
func totalRow(cells []string) (grand, ok bool) {
	seen := 0
	for _, c := range cells {
		if c == "" {
			continue
		}
		if seen++; seen > 3 {
			break
		}
		if grand, ok := totalLabel(c); ok {
			return grand, true
		}
	}
	return false, false
}

// totalLabel reports whether a cell is a total's or subtotal's label
// ("Grand Total", "Smith, John Total", "Subtotal:"), and whether it is the
// grand total's.
func totalLabel(c string) (grand, ok bool) {
	if !mayBeTotal(c) {
		return false, false
	}
	k := strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(c), ":")))
	if k == "" || len(k) > 60 {
		return false, false
	}
	switch k {
	case "total", "totals", "grand total", "grand totals", "report total", "report totals", "total:", "overall total", "sum":
		return true, true
	case "subtotal", "sub total", "sub-total", "subtotals":
		return false, true
	}
	if strings.HasPrefix(k, "grand total") || strings.HasPrefix(k, "report total") {
		return true, true
	}
	if strings.HasPrefix(k, "total ") || strings.HasPrefix(k, "total:") || strings.HasPrefix(k, "subtotal") ||
		strings.HasSuffix(k, " total") || strings.HasSuffix(k, " totals") || strings.HasSuffix(k, " subtotal") {
		return false, true
	}
	return false, false
}

// mayBeTotal is a cheap first look for "total" or "sum" in a cell, so the
// common data cell is passed over without lower-casing it.
func mayBeTotal(c string) bool {
	for i := 0; i+2 < len(c); i++ {
		switch c[i] | 0x20 {
		case 't':
			if i+4 < len(c) && (c[i+1]|0x20) == 'o' && (c[i+2]|0x20) == 't' && (c[i+3]|0x20) == 'a' && (c[i+4]|0x20) == 'l' {
				return true
			}
		case 's':
			if (c[i+1]|0x20) == 'u' && (c[i+2]|0x20) == 'm' {
				return true
			}
		}
	}
	return false
}

func (t *tableReader) grandTotal(cells []string) {
	var tot rules.Totals
	if s := t.cell(cells, fVisits); s != "" {
		if v, ok := parseNumber(s); ok {
			tot.Visits = &v
		}
	}
	if s := t.cell(cells, fUnits); s != "" {
		if v, ok := parseNumber(s); ok {
			tot.Units = &v
		}
	}
	if t.kind == rules.KindInsuranceClassSummary {
		// Its Visits column counts something else than visits by patient
		// and date; only New Patients matters there.
		return
	}
	t.b.GrandTotal(tot)
}

func (t *tableReader) repeatsHeader(cells []string) bool {
	if len(cells) < len(t.hdr.cells) || len(cells) == 0 || cells[0] != t.hdr.cells[0] {
		return false
	}
	for i, h := range t.hdr.cells {
		if strings.TrimSpace(cells[i]) != strings.TrimSpace(h) {
			return false
		}
	}
	return true
}

// groupHeading reports whether a row's single value is a group heading
// even in the Date of Service column: labelled ("Date of Service:
// 11/16/2026 (8)", "Clinic: Uptown") or a date with its row count
// ("11/16/2026 (8)"). A bare date alone is not: it is a visit missing its
// patient, and says so.
func groupHeading(s string) bool {
	s = strings.TrimSpace(s)
	if label, _, ok := strings.Cut(s, ":"); ok {
		if _, known := aliases[letters(label)]; known {
			return true
		}
	}
	if i := strings.LastIndexByte(s, '('); i > 0 && strings.HasSuffix(s, ")") {
		if _, ok := plainInt(strings.TrimSpace(s[i+1 : len(s)-1])); ok {
			_, isDate := parseDate(strings.TrimSpace(s[:i]), 0)
			return isDate
		}
	}
	return false
}

// groupRow takes a row with a single value: a group heading. A labelled one
// ("Location: Uptown", "Clinic - Uptown") sets that field for the rows below.
func (t *tableReader) groupRow(s string) {
	for _, sep := range []string{":", " - "} {
		label, value, ok := strings.Cut(s, sep)
		if !ok {
			continue
		}
		k := letters(label)
		if f := aliases[k]; f == fLocation || f == fProvider {
			// Kept for the rows below: copied out of the read buffer.
			t.ctx[f] = strings.Clone(strings.TrimSpace(value))
			return
		}
		if (k == "count" || k == "total" || k == "totalvisits") && t.kind == rules.KindDocumentedVisits {
			// Analytics' Aggregate > Count on Patient Name: the visit total,
			// checked against the rows.
			if v, ok := parseNumber(value); ok && strings.TrimSpace(value) != "" {
				t.b.GrandTotal(rules.Totals{Visits: &v})
			}
			return
		}
	}
}

// decode turns a data row into a Line. skip is set for rows that hold no
// visit: subtotal rows without a label, and rows an extract marks removed.
func (t *tableReader) decode(cells []string, n int, l *rules.Line) (skip bool, err error) {
	*l = rules.Line{}
	h := t.hdr
	if h.has(fExportFlag) && t.cell(cells, fExportFlag) == "3" {
		// Standard Extract: 3 means the row was removed since the last
		// extract; it is not a visit.
		t.b.Removed()
		return true, nil
	}
	l.Location = t.cell(cells, fLocation)
	if l.Location == "" {
		l.Location = t.ctx[fLocation]
	}
	l.Patient = rules.Patient{Name: t.cell(cells, fPatient), ID: idCell(t.cell(cells, fPatientID)), Account: idCell(t.cell(cells, fAccount))}
	if l.Patient.Name == "" && h.has(fLastName) {
		last, first := t.cell(cells, fLastName), t.cell(cells, fFirstName)
		switch {
		case last != "" && first != "":
			l.Patient.Name = last + ", " + first
		default:
			l.Patient.Name = last + first
		}
	}
	cptCell := t.cell(cells, fCPT)
	l.CPT, _ = rules.SplitCPT(cptCell)
	dosCell := t.cell(cells, fDOS)
	noPatient := l.Patient == (rules.Patient{})

	// A row with neither patient nor date whose label says total is a
	// subtotal, wherever the label sits ("Total 97110" in the CPT column
	// of a report grouped by code): it never adds to a visit.
	if noPatient && dosCell == "" {
		if _, ok := totalRow(cells); ok {
			return true, nil
		}
	}
	// A CPT line with neither patient nor date belongs to the visit above
	// it: grids that group by visit print those once.
	if l.CPT != "" && noPatient {
		if prevLoc, prevPatient, prevDOS, ok := t.b.Last(); ok {
			if dosCell == "" {
				l.Patient, l.DOS, noPatient = prevPatient, prevDOS, false
				if l.Location == "" {
					l.Location = prevLoc
				}
			} else if h.hasName() {
				l.Patient, noPatient = prevPatient, false
			}
		}
	}

	if l.DOS == 0 && t.kind != rules.KindInsuranceClassSummary {
		if dosCell == "" {
			if l.CPT == "" && subtotalLike(cells) {
				return true, nil
			}
			return false, rules.RowErrorf(t.name, n, "this row has no %s. Fill it in, or remove the row if it is not a visit.", t.dosName())
		}
		// Rows come in runs of one date (a visit's CPT lines, a day's
		// visits): the last date read is kept with its text, and the
		// others in a small cache.
		d, ok := t.lastDate.d, true
		if string(t.lastDate.cell) != dosCell || d == 0 {
			if d, ok = t.dates.get(dosCell); !ok {
				if d, ok = parseDate(dosCell, t.src.epoch()); ok {
					t.dates.put(dosCell, d)
				}
			}
			if ok {
				t.lastDate.cell, t.lastDate.d = append(t.lastDate.cell[:0], dosCell...), d
			}
		}
		if !ok {
			e := rules.RowErrorf(t.name, n, "the %s%s is not a date balancebot can read. It reads M/D/YYYY, M/D/YY and YYYY-MM-DD. Correct the cell, or export the report again.", t.dosName(), rules.CellMark)
			e.Cell = fmt.Sprintf(" %q", dosCell)
			return false, e
		}
		l.DOS = d
	}
	if noPatient && t.needsPatient() {
		return false, rules.RowErrorf(t.name, n, "this row has a date of service but no patient. Fill in the patient, or remove the row if it is not a visit.")
	}
	num := func(f field) (float64, error) {
		s := t.cell(cells, f)
		v, ok := parseNumber(s)
		if !ok {
			e := rules.RowErrorf(t.name, n, "the %s cell%s is not a number. Correct the cell, or export the report again.", t.colName(f), rules.CellMark)
			e.Cell = fmt.Sprintf(" %q", s)
			return 0, e
		}
		return v, nil
	}
	if h.has(fUnits) {
		if l.Units, err = num(fUnits); err != nil {
			return false, err
		}
	}
	if h.has(fVisits) {
		if l.Visits, err = num(fVisits); err != nil {
			return false, err
		}
	}
	if h.has(fNewPatients) {
		if l.NewPatients, err = num(fNewPatients); err != nil {
			return false, err
		}
	}
	if h.has(fDoNotBill) {
		l.DoNotBill = parseFlag(t.cell(cells, fDoNotBill))
	}
	if !l.DoNotBill && t.kind == rules.KindDocumentedUnits && h.has(fVisitType) {
		// Some exports state Do Not Bill in the visit or note type.
		l.DoNotBill = strings.Contains(letters(t.cell(cells, fVisitType)), "donotbill")
	}
	if h.has(fStatus) {
		l.Status = rules.ParseClaimStatus(t.cell(cells, fStatus))
	}
	// What helps to work the visit: its therapist (a column, or a group
	// heading above), and the exception type or the status as written.
	l.Detail.Provider = t.cell(cells, fProvider)
	if l.Detail.Provider == "" {
		l.Detail.Provider = t.ctx[fProvider]
	}
	switch t.kind {
	case rules.KindBillingExceptions:
		l.Detail.Note = t.cell(cells, fException)
	case rules.KindClaimsFeed:
		l.Detail.Note = t.cell(cells, fStatus)
	}
	return false, nil
}

// subtotalLike reports whether a row without a date is a per-group summary:
// numbers, and at most one label.
func subtotalLike(cells []string) bool {
	labels := 0
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" && !isNumeric(c) {
			labels++
		}
	}
	return labels <= 1
}

func (t *tableReader) needsPatient() bool {
	switch t.kind {
	case rules.KindInsuranceClassSummary:
		return false
	case rules.KindChargeAuditSummary:
		// A billing export without patients is balanced per day.
		return t.hdr.hasName() || t.hdr.has(fAccount) || t.hdr.has(fPatientID)
	}
	return true
}

func (t *tableReader) dosName() string { return t.colName(fDOS) }

// colName is the field's header as this file writes it.
func (t *tableReader) colName(f field) string {
	if idx := t.hdr.idx[f]; len(idx) > 0 {
		if s := strings.TrimSpace(t.hdr.cells[idx[0]]); s != "" {
			return s
		}
	}
	return f.String()
}

// requirement is what a kind needs from the header.
type requirement struct {
	fields []field // each needed
	// patient needs some patient column (name, id or account).
	patient bool
}

var requirements = map[rules.Kind]requirement{
	rules.KindEMRBillingReport:      {[]field{fDOS, fCPT}, true},
	rules.KindDocumentedVisits:      {[]field{fDOS}, true},
	rules.KindDocumentedUnits:       {[]field{fDOS}, true},
	rules.KindClaimsFeed:            {[]field{fDOS, fStatus}, true},
	rules.KindChargeAuditSummary:    {[]field{fDOS}, false},
	rules.KindInsuranceClassSummary: {[]field{fNewPatients}, false},
	rules.KindBillingExceptions:     {[]field{fDOS}, true},
}

// missing lists what the header lacks for kind k.
func (t *tableReader) missing(k rules.Kind) []string {
	req := requirements[k]
	var out []string
	for _, f := range req.fields {
		if !t.hdr.has(f) {
			out = append(out, f.String())
		}
	}
	if req.patient && !t.hdr.hasName() && !t.hdr.has(fPatientID) && !t.hdr.has(fAccount) {
		out = append(out, "Patient (or Patient ID / Account #)")
	}
	if k == rules.KindChargeAuditSummary && !t.hdr.hasName() && !t.hdr.has(fPatientID) && !t.hdr.has(fAccount) && !t.hdr.has(fVisits) {
		out = append(out, "Patient or Visits")
	}
	return out
}

// decideKind settles the report kind: the user's, else a title in the
// preamble whose columns fit, else the columns alone.
func (t *tableReader) decideKind(pre preamble) (rules.Kind, error) {
	if k := t.opt.Kind; k != "" {
		if miss := t.missing(k); len(miss) > 0 {
			return "", rules.FileErrorf(t.name, "it was given as a %s, but it has no %s column. Its columns are: %s. Export the report with those columns shown.",
				k.Title(), strings.Join(miss, " or "), strings.Join(t.hdr.cellList(), ", "))
		}
		return k, nil
	}
	if k := pre.kindHint(); k != "" && len(t.missing(k)) == 0 {
		return k, nil
	}
	if k := t.kindFromColumns(); k != "" && len(t.missing(k)) == 0 {
		return k, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cannot tell which report this is. Its columns are: %s.", strings.Join(t.hdr.cellList(), ", "))
	if !t.hdr.has(fDOS) && (t.hdr.has(fCreated) || t.hdr.has(fFinalized)) {
		b.WriteString(" It has no Date of Service column: balancing is by date of service, so run the report with Date Type = Date of Service and that column shown.")
	}
	b.WriteString(" The reports balancebot reads are:")
	for _, k := range rules.Kinds {
		req := requirements[k]
		var need []string
		if req.patient {
			need = append(need, "Patient")
		}
		for _, f := range req.fields {
			need = append(need, f.String())
		}
		fmt.Fprintf(&b, " %s (%s: needs %s);", k.Title(), k, strings.Join(need, ", "))
	}
	// The list's last item ends the sentence.
	text := strings.TrimSuffix(b.String(), ";") + ". If it is one of them, say which."
	e := rules.FileErrorf(t.name, "%s", text)
	e.Fix = rules.FixKind
	return "", e
}

// kindFromColumns recognises a report by the columns it has.
func (t *tableReader) kindFromColumns() rules.Kind {
	h := t.hdr
	billingish := h.has(fCharges) || h.has(fCreated) || h.has(fAccount) || h.has(fVisits)
	switch {
	case h.has(fNewPatients):
		return rules.KindInsuranceClassSummary
	case h.has(fException):
		return rules.KindBillingExceptions
	case h.has(fStatus) && !billingish && !h.has(fUnits):
		return rules.KindClaimsFeed
	case h.has(fDoNotBill):
		return rules.KindDocumentedUnits
	case billingish && !h.has(fFinalized):
		return rules.KindChargeAuditSummary
	case h.has(fCPT):
		return rules.KindEMRBillingReport
	case h.has(fDOS) && !h.has(fUnits):
		return rules.KindDocumentedVisits
	}
	return ""
}

func (h *header) cellList() []string {
	var out []string
	for _, c := range h.cells {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}
