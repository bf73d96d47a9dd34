package engine

import (
	"encoding/json"
	"hash/maphash"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"github.com/balancebot/balancebot/internal/rules"
)

// Visit is what one report says about one visit key: a patient at a
// location on a date of service. A report holds one Visit per distinct key,
// so its size grows with visits, not with rows.
//
// A Visit holds no pointers: its patient and location are references into
// its report (Report.Patient, Report.LocationOf). A month of a large group
// is a million visits; pointerless, the garbage collector never reads
// them, and a visit takes 80 bytes instead of 120.
type Visit struct {
	// NameHash and NameCheck are two independently seeded 64-bit hashes of
	// NameKey(the patient's name) (0 for no name), so the balance compares
	// numbers, not name text. Where two NameHashes meet, NameCheck tells
	// them apart: mistaking two patients for one takes both to collide, a
	// chance of about 2^-128 per pair. A report read back from the store
	// hashes its names again (hashNames).
	NameHash  uint64
	NameCheck uint64
	Units     float64
	IEUnits   float64
	DOS       rules.Date
	// Count is how many visits the report counts for the key: 1 for a
	// distinct key of an EMR Billing Report or a line-layout Charge Audit
	// Summary, the rows of a Documented Visits report, the sum of the Visits
	// column of a visit-layout Charge Audit Summary, items of a check report.
	Count int32
	Lines int32
	// loc indexes the report's locs.
	loc uint32
	// The patient's name, EMR patient id and billing account, in the
	// report's text.
	name, id, account text
	Flags             rules.Flag
	// detail indexes the report's Details, plus one (0 for none): the
	// therapist and note of the first of the visit's lines that has one.
	// It sits in what would be the struct's padding: a visit stays 80
	// bytes.
	detail uint32
}

// text is a string kept in a report's text.
type text struct{ off, n uint32 }

// The name hashes are seeded once for the whole process: reports built at
// different times must agree.
var nameSeed, checkSeed = maphash.MakeSeed(), maphash.MakeSeed()

// hashName hashes a name key; tests replace it to force collisions.
var hashName = func(key []byte) uint64 { return nonzero(maphash.Bytes(nameSeed, key)) }

func checkName(key []byte) uint64 { return nonzero(maphash.Bytes(checkSeed, key)) }

// mix scrambles the bits of h (the finaliser of splitmix64).
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}

// nonzero keeps 0 free to mean "no name".
func nonzero(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

// Report is one export, read and folded per visit key. It is what the
// readers produce, what the store keeps and what Reconcile consumes.
type Report struct {
	// Name is the file name, used in every message about the report.
	Name string     `json:"name"`
	Kind rules.Kind `json:"kind"`
	// Location is the location the report states for all its rows (in its
	// preamble, or given by the user); rows may carry their own.
	Location string `json:"location,omitempty"`
	// Period is the date range the report states it was run for.
	Period rules.Period `json:"period"`
	// DateBasis is the date type the report says it was run by, when it
	// says; anything but date of service draws a warning.
	DateBasis string        `json:"date_basis,omitempty"`
	Columns   rules.Columns `json:"columns"`
	// Stated holds the totals the report prints in its preamble, and
	// GrandTotal those of its grand-total row: both are checked against the
	// rows.
	Stated     rules.Totals `json:"stated"`
	GrandTotal rules.Totals `json:"grand_total"`
	// Rows counts the data rows read; Removed the Standard Extract rows
	// flagged removed (export_flag 3), which are not visits.
	Rows    int     `json:"rows"`
	Removed int     `json:"removed,omitempty"`
	Visits  []Visit `json:"visits"`
	// NewPatients is the New Patients column total per location ("" for
	// rows without one), from an Insurance Class Summary.
	NewPatients map[string]float64 `json:"new_patients,omitempty"`
	// Details are the distinct therapist-and-note pairs the visits carry
	// (a practice has a few dozen therapists): each visit indexes them.
	Details []rules.Detail `json:"details,omitempty"`
	// hashed is set once every visit has its NameHash.
	hashed bool
	// locs lists the distinct locations of the visits in the order first
	// seen ("" for none; a Builder puts it first), and each visit's loc
	// indexes it: the balance then looks at each location once, not once
	// per visit.
	locs []string
	// text holds the visits' patient names and ids.
	text []byte
	// summed, once the visits are complete (a Builder's Report, a
	// decoded report), holds their date span and visit count, which the
	// balance and the bot ask for several times: each is a pass over a
	// million visits otherwise. A report made by hand sums on each call.
	summed     bool
	span       rules.Period
	visitCount int
	// undated is set when some visit has no date, which span leaves out.
	undated bool
}

// Patient is who visit v, one of the report's Visits, is for.
func (r *Report) Patient(v *Visit) rules.Patient {
	return rules.Patient{Name: r.str(v.name), ID: r.str(v.id), Account: r.str(v.account)}
}

// LocationOf is the location visit v's rows carry ("" for none; the
// report's Location then applies).
func (r *Report) LocationOf(v *Visit) string { return r.locs[v.loc] }

// DetailOf is what helps to work visit v: its therapist, and the exception
// type or Claims Feed status as written.
func (r *Report) DetailOf(v *Visit) rules.Detail {
	if v.detail == 0 || int(v.detail) > len(r.Details) {
		return rules.Detail{}
	}
	return r.Details[v.detail-1]
}

// detailIndex returns d's index in Details plus one, adding it; for
// reports made without a Builder, so it looks through the table.
func (r *Report) detailIndex(d rules.Detail) uint32 {
	if d.IsZero() {
		return 0
	}
	if i := slices.Index(r.Details, d); i >= 0 {
		return uint32(i + 1)
	}
	r.Details = append(r.Details, d)
	return uint32(len(r.Details))
}

// str is the string t refers to. Strings already handed out stay valid as
// text grows: they keep the array they point into.
func (r *Report) str(t text) string {
	if t.n == 0 {
		return ""
	}
	return unsafe.String(&r.text[t.off], int(t.n))
}

// keep copies s into the report's text.
func (r *Report) keep(s string) text {
	if s == "" {
		return text{}
	}
	if uint64(len(r.text))+uint64(len(s)) > math.MaxUint32 {
		panic("balance: a report's text is over 4 GB")
	}
	t := text{uint32(len(r.text)), uint32(len(s))}
	r.text = append(r.text, s...)
	return t
}

// locIndex returns location l's index in locs, adding it; for reports
// made without a Builder, so it looks through the list.
func (r *Report) locIndex(l string) uint32 {
	if len(r.locs) == 0 {
		r.locs = []string{""}
	}
	if i := slices.Index(r.locs, l); i >= 0 {
		return uint32(i)
	}
	r.locs = append(r.locs, l)
	return uint32(len(r.locs) - 1)
}

// AddVisit appends a visit for patient p at location l, with v's counts
// and date, to a report made by hand (tests, the store's old layout).
func (r *Report) AddVisit(l string, p rules.Patient, v Visit) { r.addVisit(r.locIndex(l), p, v) }

func (r *Report) addVisit(loc uint32, p rules.Patient, v Visit) {
	v.loc = loc
	v.name, v.id, v.account = r.keep(p.Name), r.keep(p.ID), r.keep(p.Account)
	r.Visits = append(r.Visits, v)
	r.hashed, r.summed = false, false
}

// sum records the visits' date span and count; the visits must not change
// after.
func (r *Report) sum() {
	r.span, r.visitCount = r.dateSpan(), r.countVisits()
	r.undated = slices.ContainsFunc(r.Visits, func(v Visit) bool { return v.DOS.IsZero() })
	r.summed = true
}

// hashNames gives every visit its NameHash, for a report built without a
// Builder (read back from the store, or made by hand).
func (r *Report) hashNames() {
	if r.hashed {
		return
	}
	var buf [96]byte
	for i := range r.Visits {
		v := &r.Visits[i]
		v.NameHash, v.NameCheck = 0, 0
		if k := rules.AppendNameKey(buf[:0], r.str(v.name)); len(k) > 0 {
			v.NameHash, v.NameCheck = hashName(k), checkName(k)
		}
	}
	r.hashed = true
}

// within reports whether every visit is dated within p, without looking
// at each when the report is summed.
func (r *Report) within(p rules.Period) bool {
	if !r.summed {
		return false
	}
	return !r.undated && p.Contains(r.span.From) && p.Contains(r.span.To)
}

// VisitCount is the number of visits the report counts, over all keys.
func (r *Report) VisitCount() int {
	if r.summed {
		return r.visitCount
	}
	return r.countVisits()
}

func (r *Report) countVisits() int {
	n := 0
	for i := range r.Visits {
		n += int(r.Visits[i].Count)
	}
	return n
}

// UnitCount is the sum of units over all rows.
func (r *Report) UnitCount() float64 {
	var u float64
	for i := range r.Visits {
		u += r.Visits[i].Units
	}
	return u
}

// Locations lists the distinct locations the report's rows carry, or its
// stated location.
func (r *Report) Locations() []string {
	seen := map[string]bool{}
	raw := map[string]bool{}
	var out []string
	last := ""
	add := func(l string) {
		// Most rows repeat the location before them; the key is worked out
		// once per spelling.
		if l == "" || l == last || raw[l] {
			return
		}
		last, raw[l] = l, true
		if k := rules.LocationKey(l); !seen[k] {
			seen[k] = true
			out = append(out, l)
		}
	}
	add(r.Location)
	for _, l := range r.locs {
		add(l)
	}
	// In a fixed order, so the spelling kept does not depend on the map's.
	for _, l := range slices.Sorted(maps.Keys(r.NewPatients)) {
		add(l)
	}
	sort.Strings(out)
	return out
}

// DateSpan is the first and last date of service among the report's visits.
func (r *Report) DateSpan() rules.Period {
	if r.summed {
		return r.span
	}
	return r.dateSpan()
}

func (r *Report) dateSpan() rules.Period {
	var p rules.Period
	for i := range r.Visits {
		d := r.Visits[i].DOS
		if p.From.IsZero() || d < p.From {
			p.From = d
		}
		if d > p.To {
			p.To = d
		}
	}
	return p
}

// Builder folds the Lines of one export into a Report, keeping one Visit
// per distinct key. It copies what it keeps, so a reader may pass Lines
// whose strings point into a buffer it reuses. It is not safe for
// concurrent use.
type Builder struct {
	report  Report
	ieCodes rules.CodeSet
	// counting and countsIE are the report kind's rules for counting.
	counting rules.Counting
	countsIE bool
	// details finds a detail's index in the report's Details, plus one;
	// providers those of details that are a therapist alone (the EMR's),
	// whose one string hashes faster. last is the detail found last.
	details   map[rules.Detail]uint32
	providers map[string]uint32
	last      struct {
		d   rules.Detail
		idx uint32
	}
	// visits finds a visit by the hash of its key.
	visits flatTable
	seed   maphash.Seed
	// hashOf replaces the key hash in tests, to force collisions.
	hashOf func() uint64
	// locs interns locations, repeated over thousands of rows; lastLoc is
	// the one used last. Other strings are copied: nothing kept points
	// into the reader's buffers.
	locs    map[string]location
	lastLoc location
	// run is the visit of the current run of lines with one key: CPT
	// lines of one visit come together, so most lines only add to it. A
	// run is looked up in the visit table when the next one starts (see
	// flush); run.Visit holds what its lines add up to meanwhile.
	run struct {
		Visit
		ok                bool
		loc               location
		name, id, account string // views of runText[cur]
		fp                uint32
	}
	// runText holds the current run's patient strings, in the buffer cur,
	// and the previous run's in the other: a line may reuse the previous
	// line's patient (Last) while the next run is copied.
	runText [2][]byte
	cur     int
	keyBuf  []byte
	// shortIE holds the initial-evaluation codes of up to 8 characters
	// packed into words (all real CPT codes): a line's code is looked for
	// among a dozen words instead of hashed into a map. lastCPT and
	// lastIE remember the previous line's code, packed, and the answer.
	shortIE packedSet
	lastCPT uint64
	lastIE  bool
	// span and count are the report's date span and visit count, kept up
	// as visits come (see Report.sum).
	span    rules.Period
	count   int
	undated bool
}

// packedSet is a set of nonzero packed codes, open-addressed in a table at
// most half full: a lookup is a multiply and a compare or two, where the
// lines of a visit alternate codes and each change is looked up.
type packedSet struct {
	slots []uint64
	shift uint
}

func newPackedSet(codes []uint64) packedSet {
	bits := uint(4)
	for 1<<bits < 2*len(codes) {
		bits++
	}
	s := packedSet{slots: make([]uint64, 1<<bits), shift: 64 - bits}
	for _, w := range codes {
		i := s.slot(w)
		for s.slots[i] != 0 && s.slots[i] != w {
			i = (i + 1) & (len(s.slots) - 1)
		}
		s.slots[i] = w
	}
	return s
}

func (s packedSet) slot(w uint64) int { return int((w * 0x9e3779b97f4a7c15) >> s.shift) }

func (s packedSet) has(w uint64) bool {
	if w == 0 {
		return false
	}
	for i := s.slot(w); ; i = (i + 1) & (len(s.slots) - 1) {
		switch s.slots[i] {
		case w:
			return true
		case 0:
			return false
		}
	}
}

// packCode packs a code of up to 8 bytes into a word.
func packCode(s string) (uint64, bool) {
	if len(s) > 8 {
		return 0, false
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	return w, true
}

// NewBuilder starts a report of kind k for the file called name. ieCodes is
// the initial-evaluation code set (nil means DefaultIECodes).
func NewBuilder(name string, k rules.Kind, cols rules.Columns, ieCodes rules.CodeSet) *Builder {
	if ieCodes == nil {
		ieCodes = rules.DefaultIECodes
	}
	b := &Builder{
		report:   Report{Name: name, Kind: k, Columns: cols, hashed: true, locs: []string{""}},
		ieCodes:  ieCodes,
		counting: rules.CountingOf(k, cols),
		countsIE: rules.CountsNewPatients(k),
		seed:     maphash.MakeSeed(),
		locs:     map[string]location{},
	}
	var short []uint64
	for c := range ieCodes {
		if w, ok := packCode(c); ok {
			short = append(short, w)
		}
	}
	b.shortIE = newPackedSet(short)
	return b
}

// Grow makes room for about n visits, so a large file does not rebuild the
// index as it grows.
func (b *Builder) Grow(n int) {
	if n <= len(b.report.Visits) || n > 50_000_000 {
		return
	}
	// make, not slices.Grow: append clears the new capacity of a
	// pointerless slice, writing every page of it at once, where memory
	// fresh from the OS is zero already and is touched only as visits
	// arrive.
	r := &b.report
	visits := make([]Visit, 0, n)
	hugePages(visits)
	r.Visits = append(visits, r.Visits...)
	// About 20 bytes of name a visit.
	r.text = append(make([]byte, 0, 20*n), r.text...)
	b.visits.reserve(n)
}

// Last is the location, patient and date of the visit the previous line
// belonged to (ok false before the first), for readers whose exports write
// a visit's patient and date only on its first line.
func (b *Builder) Last() (location string, p rules.Patient, dos rules.Date, ok bool) {
	if !b.run.ok {
		return "", rules.Patient{}, 0, false
	}
	return b.run.loc.name, rules.Patient{Name: b.run.name, ID: b.run.id, Account: b.run.account}, b.run.DOS, true
}

// location is an interned location name and its hash.
type location struct {
	name string
	hash uint64
	idx  uint32 // in the report's locs
}

// location returns the kept copy of a location name, with its hash.
func (b *Builder) location(s string) location {
	if s == "" {
		return location{}
	}
	if s == b.lastLoc.name {
		return b.lastLoc
	}
	k, ok := b.locs[s]
	if !ok {
		name := strings.Clone(s)
		k = location{name, maphash.String(b.seed, name), uint32(len(b.report.locs))}
		b.report.locs = append(b.report.locs, name)
		b.locs[name] = k
	}
	b.lastLoc = k
	return k
}

// Header sets what the report states about itself in its preamble.
func (b *Builder) Header(location string, p rules.Period, dateBasis string, stated rules.Totals) {
	b.report.Location = strings.Clone(location)
	b.report.Period = p
	b.report.DateBasis = strings.Clone(dateBasis)
	b.report.Stated = stated
}

// GrandTotal records the report's own grand-total row.
func (b *Builder) GrandTotal(t rules.Totals) { b.report.GrandTotal = t }

// Removed counts a row the export flags as removed.
func (b *Builder) Removed() { b.report.Removed++ }

// Add folds one data row into the report.
func (b *Builder) Add(l *rules.Line) {
	r := &b.report
	r.Rows++
	if r.Kind == rules.KindInsuranceClassSummary {
		if r.NewPatients == nil {
			r.NewPatients = map[string]float64{}
		}
		r.NewPatients[b.location(l.Location).name] += l.NewPatients
		return
	}
	if !b.run.ok || b.run.DOS != l.DOS || b.run.loc.name != l.Location || b.run.name != l.Patient.Name ||
		b.run.id != l.Patient.ID || b.run.account != l.Patient.Account {
		b.flush()
		b.start(l)
	}
	v := &b.run.Visit
	v.Lines++
	v.Units += l.Units
	v.Count = b.counting.Add(v.Count, l)
	v.Flags |= rules.LineFlags(r.Kind, l)
	d := l.Detail
	if b.countsIE && b.isIE(l.CPT) {
		v.IEUnits += l.Units
		d.Code = l.CPT
	}
	if !d.IsZero() {
		b.fillDetail(v, d)
	}
}

// fillDetail completes visit v's detail with d (rules.Detail.Filled),
// interning the result only when it says more than before: most lines
// repeat their visit's therapist.
func (b *Builder) fillDetail(v *Visit, d rules.Detail) {
	cur := b.report.DetailOf(v)
	if next := cur.Filled(d); next != cur {
		v.detail = b.detailIndex(next)
	}
}

// start starts a run of lines with l's key: it works out the key's hash
// and asks for the visit table's slot for it, which flush reads when the
// run ends. Meanwhile the run's lines are added up and the next line is
// read, so the slot is in cache by then: looking a new visit up in a table
// of a million was a trip to memory, most of the time spent on a visit.
func (b *Builder) start(l *rules.Line) {
	var nameHash, nameCheck uint64
	b.keyBuf = rules.AppendNameKey(b.keyBuf[:0], l.Patient.Name)
	if len(b.keyBuf) > 0 {
		nameHash, nameCheck = hashName(b.keyBuf), checkName(b.keyBuf)
	}
	// The key's hash mixes the name hash with the location's (worked out
	// once per location); the rare ids are hashed when present.
	loc := b.location(l.Location)
	sum := mix(nameHash ^ loc.hash ^ uint64(uint32(l.DOS))*0x9e3779b97f4a7c15)
	if l.Patient.ID != "" {
		sum = mix(sum ^ maphash.String(b.seed, l.Patient.ID))
	}
	if l.Patient.Account != "" {
		sum = mix(sum ^ 0x5bd1e995 ^ maphash.String(b.seed, l.Patient.Account))
	}
	if b.hashOf != nil {
		sum = b.hashOf()
	}
	b.cur ^= 1
	buf := append(b.runText[b.cur][:0], l.Patient.Name...)
	buf = append(buf, l.Patient.ID...)
	buf = append(buf, l.Patient.Account...)
	b.runText[b.cur] = buf
	n1, n2 := len(l.Patient.Name), len(l.Patient.Name)+len(l.Patient.ID)
	run := &b.run
	run.Visit = Visit{loc: loc.idx, DOS: l.DOS, NameHash: nameHash, NameCheck: nameCheck}
	run.ok, run.loc = true, loc
	run.name, run.id, run.account = view(buf[:n1]), view(buf[n1:n2]), view(buf[n2:])
	run.fp = fingerprint(sum)
	prefetch(&b.visits.slots[b.visits.probe(run.fp)])
}

// view is b as a string, without a copy.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// flush ends the current run: its lines go to the visit of its key, made
// if new. A visit's key keeps every identity the report carries (location,
// patient, ids, date); which of them decides is chosen when reports meet.
func (b *Builder) flush() {
	run := &b.run
	if !run.ok {
		return
	}
	run.ok = false
	r := &b.report
	t := &b.visits
	i := t.probe(run.fp) // the slot start asked for, unless the table grew since
	for ; t.slots[i] != 0; i = t.next(i) {
		f, idx := t.at(i)
		if f != run.fp {
			continue
		}
		v := &r.Visits[idx]
		if v.DOS == run.DOS && v.NameHash == run.NameHash && v.NameCheck == run.NameCheck && v.loc == run.loc.idx &&
			r.str(v.id) == run.id && r.str(v.account) == run.account {
			before := v.Count
			b.merge(v, &run.Visit)
			b.count += int(v.Count - before)
			return
		}
	}
	if d := run.DOS; b.span.From.IsZero() || d < b.span.From {
		b.span.From = d
	}
	if run.DOS > b.span.To {
		b.span.To = run.DOS
	}
	b.undated = b.undated || run.DOS.IsZero()
	v := run.Visit
	v.name, v.id, v.account = r.keep(run.name), r.keep(run.id), r.keep(run.account)
	t.put(i, run.fp, uint32(len(r.Visits)))
	r.Visits = append(r.Visits, v)
	b.count += int(v.Count)
}

// merge adds a later run's lines of a visit to it: a key whose lines do not
// all come together.
func (b *Builder) merge(v, run *Visit) {
	v.Lines += run.Lines
	v.Units += run.Units
	v.IEUnits += run.IEUnits
	v.Flags |= run.Flags
	v.Count = b.counting.Merge(v.Count, run.Count)
	if run.detail != 0 {
		b.fillDetail(v, b.report.DetailOf(run))
	}
}

// detailIndex interns d, copied out of the reader's buffers. A visit's
// detail is looked up once per visit, a million times in a large month.
func (b *Builder) detailIndex(d rules.Detail) uint32 {
	if d == b.last.d {
		return b.last.idx
	}
	var i uint32
	var ok bool
	if d.Note == "" && d.Code == "" {
		i, ok = b.providers[d.Provider]
	} else {
		i, ok = b.details[d]
	}
	if !ok {
		if b.details == nil {
			b.details, b.providers = map[rules.Detail]uint32{}, map[string]uint32{}
		}
		d = rules.Detail{Provider: strings.Clone(d.Provider), Note: strings.Clone(d.Note), Code: strings.Clone(d.Code)}
		b.report.Details = append(b.report.Details, d)
		i = uint32(len(b.report.Details))
		if d.Note == "" && d.Code == "" {
			b.providers[d.Provider] = i
		} else {
			b.details[d] = i
		}
	}
	b.last.d, b.last.idx = b.report.Details[i-1], i
	return i
}

// isIE reports whether code is an initial evaluation's.
func (b *Builder) isIE(code string) bool {
	if len(b.ieCodes) == 0 {
		return false
	}
	w, ok := packCode(code)
	if !ok {
		return b.ieCodes.Has(code)
	}
	if w != b.lastCPT {
		// A packed code of 8 bytes or fewer equals no longer one.
		b.lastCPT, b.lastIE = w, b.shortIE.has(w)
	}
	return b.lastIE
}

// Report returns the folded report. The Builder must not be used after.
func (b *Builder) Report() *Report {
	b.flush()
	b.visits, b.locs = flatTable{}, nil
	r := &b.report
	r.span, r.visitCount, r.undated, r.summed = b.span, b.count, b.undated, true
	return r
}

// jsonVisit is a visit in a report's JSON, the layout the store kept before
// its binary one.
type jsonVisit struct {
	Location string        `json:"location,omitempty"`
	Patient  rules.Patient `json:"patient"`
	DOS      rules.Date    `json:"dos"`
	Count    int32         `json:"count"`
	Lines    int32         `json:"lines"`
	Units    float64       `json:"units,omitempty"`
	IEUnits  float64       `json:"ie_units,omitempty"`
	Flags    rules.Flag    `json:"flags,omitempty"`
	Detail   rules.Detail  `json:"detail,omitzero"`
}

// plainReport is a Report without its JSON methods.
type plainReport Report

// MarshalJSON writes the report with its visits' patients and locations
// spelled out.
func (r *Report) MarshalJSON() ([]byte, error) {
	var visits []jsonVisit
	if r.Visits != nil {
		visits = make([]jsonVisit, len(r.Visits))
	}
	for i := range r.Visits {
		v := &r.Visits[i]
		visits[i] = jsonVisit{Location: r.LocationOf(v), Patient: r.Patient(v), DOS: v.DOS, Count: v.Count, Lines: v.Lines,
			Units: v.Units, IEUnits: v.IEUnits, Flags: v.Flags, Detail: r.DetailOf(v)}
	}
	return json.Marshal(struct {
		*plainReport
		Visits []jsonVisit `json:"visits"`
	}{(*plainReport)(r), visits})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (r *Report) UnmarshalJSON(b []byte) error {
	var in struct {
		*plainReport
		Visits []jsonVisit `json:"visits"`
	}
	var out Report
	in.plainReport = (*plainReport)(&out)
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	out.Visits, out.locs, out.text = nil, nil, nil
	if in.Visits != nil {
		out.Visits = make([]Visit, 0, len(in.Visits))
	}
	locs := map[string]uint32{}
	for _, v := range in.Visits {
		loc, ok := locs[v.Location]
		if !ok {
			loc = out.locIndex(v.Location)
			locs[v.Location] = loc
		}
		out.addVisit(loc, v.Patient, Visit{DOS: v.DOS, Count: v.Count, Lines: v.Lines, Units: v.Units, IEUnits: v.IEUnits, Flags: v.Flags,
			detail: out.detailIndex(v.Detail)})
	}
	out.sum()
	*r = out
	return nil
}

// Plain is the report as the rules see it: one rules.Visit per key, with
// its location and patient spelled out.
func (r *Report) Plain() *rules.Report {
	p := &rules.Report{Name: r.Name, Kind: r.Kind, Location: r.Location, Period: r.Period, DateBasis: r.DateBasis,
		Columns: r.Columns, Stated: r.Stated, GrandTotal: r.GrandTotal, Rows: r.Rows, Removed: r.Removed,
		NewPatients: maps.Clone(r.NewPatients)}
	if r.Visits != nil {
		p.Visits = make([]rules.Visit, len(r.Visits))
	}
	for i := range r.Visits {
		v := &r.Visits[i]
		p.Visits[i] = rules.Visit{Location: r.LocationOf(v), Patient: r.Patient(v), DOS: v.DOS, Count: v.Count,
			Lines: v.Lines, Units: v.Units, IEUnits: v.IEUnits, Flags: v.Flags, Detail: r.DetailOf(v)}
	}
	return p
}
