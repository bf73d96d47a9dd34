package rules

import (
	"cmp"
	"iter"
	"maps"
	"slices"
	"strings"
)

// Reconcile balances the visits of the EMR reports against those of the
// billing reports, by location and date of service, and explains every
// visit that is on one side only: result.md, step by step, with maps and
// strings. It is the reference the engine is held to (a fuzzed test gives
// both the same reports and wants the same Result); the engine does the
// same work laid out for a million visits.
func Reconcile(reports []*Report, opt Options) (*Result, error) {
	b := &balancer{reports: reports, opt: opt, names: map[string]string{}}
	if err := b.sides(); err != nil && !opt.SkipIncomplete {
		return nil, err
	}
	if err := b.place(); err != nil {
		return nil, err
	}
	if err := b.period(); err != nil {
		return nil, err
	}
	b.replace()
	b.limitToPeriod()
	b.pair()
	res := &Result{From: b.dates.From, To: b.dates.To, Balanced: true, Waiting: []Waiting{}}
	var todo []string
	for _, loc := range b.locationsToBalance() {
		if missing := b.missingSide(loc); missing != "" {
			if opt.SkipIncomplete {
				w := b.waiting(loc, missing)
				w.OtherNames = b.unpaired[missing]
				res.Waiting = append(res.Waiting, w)
				continue
			}
			if len(b.unpaired[missing]) == 0 {
				// Else the unpaired locations' warning says it.
				b.warnings = append(b.warnings, Warning{Code: WarnMissingSide, Location: b.names[loc], Side: missing})
			}
		}
		todo = append(todo, loc)
	}
	ids := map[string]Identity{}
	for _, loc := range todo {
		id, err := b.identity(loc)
		if err != nil {
			return nil, err
		}
		ids[loc] = id
	}
	b.indexChecks()
	for _, loc := range todo {
		l := b.balance(loc, ids[loc])
		res.Balanced = res.Balanced && l.Balanced
		res.Locations = append(res.Locations, l)
	}
	if len(res.Locations) == 0 {
		// Nothing could be balanced: not "balanced".
		res.Balanced = false
		res.Locations = []Location{}
	}
	b.warnings = append(b.warnings, ReportWarnings(b.reportFacts(), b.dates)...)
	var given []Kind
	for _, r := range reports {
		if r.Kind != KindInsuranceClassSummary || NewPatientsComparable(r.Period, b.dates) {
			given = append(given, r.Kind)
		}
	}
	b.warnings = append(b.warnings, ResultWarnings(res, given, b.namedLocations())...)
	res.Warnings = b.warnings
	if res.Warnings == nil {
		res.Warnings = []Warning{}
	}
	res.Inputs = b.inputs()
	return res, nil
}

// Where a visit is balanced, as a location key, or one of these.
const (
	anyLocation = "\x00any"      // a check report's item for every location
	leftOut     = "\x00left out" // replaced by a newer export, or outside the period
)

type balancer struct {
	reports  []*Report
	opt      Options
	dates    Period
	warnings []Warning
	// names gives each location key its name as first written; named
	// lists the keys the visit reports name, in the order first named.
	names map[string]string
	named []string
	// at[ri][i] is where report ri's visit i is balanced; stated[ri] the
	// key of the location report ri states.
	at     [][]string
	stated []string
	// outside counts each report's visits left out as outside the period.
	outside []int
	// unpaired holds, per side, its locations that lack the other side and
	// pair with none, when both sides have such.
	unpaired map[Side][]string
	// checks holds the check reports' items by location key (anyLocation
	// for those for every location), kind and date.
	checks map[checkAt][]checkItem
	// The Documented Units report's units and initial evaluations, by
	// location key.
	duHasUnits bool
	duUnits    map[string]float64
	duIE       map[string]*Evaluations
}

type checkAt struct {
	loc  string
	kind Kind
	dos  Date
}

type checkItem struct {
	patient Patient
	nameKey string
	flags   Flag
	note    string
}

type patientDay struct {
	who string
	dos Date
}

// visitReports lists the reports that count visits, with their indexes.
func (b *balancer) visitReports() iter.Seq2[int, *Report] {
	return func(yield func(int, *Report) bool) {
		for ri, r := range b.reports {
			if r.Kind.Role() == RoleVisits && !yield(ri, r) {
				return
			}
		}
	}
}

// sides asks for an EMR and a billing side.
func (b *balancer) sides() error {
	var has Sides[bool]
	var given []VisitReportKind
	for _, r := range b.reports {
		if r.Kind.Role() == RoleVisits {
			has[r.Kind.Side().Index()] = true
		}
		given = append(given, VisitReportKind{Name: r.Name, Kind: r.Kind})
	}
	if missing := MissingSide(has[0], has[1]); missing != "" {
		return ErrNoSide(missing, given)
	}
	return nil
}

// place gives every visit its location: its row's, its report's, the
// user's, or the one location the visit reports name.
func (b *balancer) place() error {
	name := func(l string) {
		l = b.opt.Locations.Resolve(l)
		if k := LocationKey(l); k != "" {
			if _, ok := b.names[k]; !ok {
				b.names[k] = strings.TrimSpace(l)
				b.named = append(b.named, k)
			}
		}
	}
	// Visit reports decide which locations are balanced; check reports
	// often span every location.
	for _, r := range b.visitReports() {
		name(r.Location)
		for _, v := range r.Visits {
			name(v.Location)
		}
	}
	name(b.opt.Location)
	fallback := LocationFallback(b.opt.Locations.Resolve(b.opt.Location), b.named)
	b.at = make([][]string, len(b.reports))
	b.stated = make([]string, len(b.reports))
	for ri, r := range b.reports {
		b.stated[ri] = b.key(r.Location)
		b.at[ri] = make([]string, len(r.Visits))
		for i, v := range r.Visits {
			k, any, ok := VisitLocation(b.key(v.Location), b.stated[ri], r.Kind.Role(), fallback, len(b.named) > 1)
			switch {
			case !ok:
				return ErrNoLocation(r.Name, r.Kind, b.namedLocations())
			case any:
				k = anyLocation
			}
			b.at[ri][i] = k
		}
	}
	return nil
}

// key is the key of the location a name found in an export means.
func (b *balancer) key(name string) string { return LocationKey(b.opt.Locations.Resolve(name)) }

// pair balances as one an EMR location and a billing location that each
// lack the other side, when each is the other's only plausible partner
// (PairLocations), under the EMR's name; and warns of the locations of
// both sides left unpaired. A name in the user's map is never paired by
// guess.
func (b *balancer) pair() {
	var emrOnly, billingOnly []string
	keyOf := map[string]string{}
	for _, loc := range b.locationsToBalance() {
		name := b.names[loc]
		if name == "" || b.opt.Locations.Has(name) {
			continue
		}
		keyOf[name] = loc
		switch b.missingSide(loc) {
		case SideBilling:
			emrOnly = append(emrOnly, name)
		case SideEMR:
			billingOnly = append(billingOnly, name)
		}
	}
	pairs, emrLeft, billingLeft := PairLocations(emrOnly, billingOnly)
	for _, p := range pairs {
		from, to := keyOf[p.Billing], keyOf[p.EMR]
		for ri := range b.reports {
			if b.stated[ri] == from {
				b.stated[ri] = to
			}
			for i, l := range b.at[ri] {
				if l == from {
					b.at[ri][i] = to
				}
			}
		}
		b.warnings = append(b.warnings, Warning{Code: WarnLocationsPaired, Location: p.EMR, BillingLocations: []string{p.Billing}})
	}
	if len(emrLeft) > 0 && len(billingLeft) > 0 {
		b.warnings = append(b.warnings, Warning{Code: WarnLocationsUnpaired, Locations: emrLeft, BillingLocations: billingLeft})
		b.unpaired = map[Side][]string{SideEMR: emrLeft, SideBilling: billingLeft}
	}
}

// namedLocations lists the names of the locations the visit reports name,
// sorted by key.
func (b *balancer) namedLocations() []string {
	out := make([]string, 0, len(b.named))
	for _, k := range slices.Sorted(slices.Values(b.named)) {
		out = append(out, b.names[k])
	}
	return out
}

// period settles the dates balanced.
func (b *balancer) period() error {
	var stated, found Sides[Period]
	for _, r := range b.visitReports() {
		s := r.Kind.Side().Index()
		if !r.Period.From.IsZero() && !r.Period.To.IsZero() {
			stated[s] = stated[s].Union(r.Period)
		}
		found[s] = found[s].Union(r.DateSpan())
	}
	p, w, err := ResolvePeriod(b.opt.Period, stated, found)
	if err != nil {
		return err
	}
	if w != nil {
		b.warnings = append(b.warnings, *w)
	}
	b.dates = p
	return nil
}

// replace leaves out what a newer export of the same kind replaced.
func (b *balancer) replace() {
	covers := make([]iter.Seq[Slot[string]], len(b.reports))
	for ri, r := range b.reports {
		var locs []string
		for _, l := range b.at[ri] {
			if !slices.Contains(locs, l) {
				locs = append(locs, l)
			}
		}
		if l := b.stated[ri]; l != "" && !slices.Contains(locs, l) {
			locs = append(locs, l)
		}
		covers[ri] = Covers(r.Kind, r.Period, locs, func(yield func(string, Date) bool) {
			for i, v := range r.Visits {
				if !yield(b.at[ri][i], v.DOS) {
					return
				}
			}
		})
	}
	owner, replaced := Latest(covers)
	for ri, r := range b.reports {
		for i, v := range r.Visits {
			if owner[Slot[string]{r.Kind, b.at[ri][i], v.DOS}] != ri {
				b.at[ri][i] = leftOut
			}
		}
	}
	for _, rp := range replaced {
		dates := rp.Dates
		b.warnings = append(b.warnings, Warning{Code: WarnReplaced, File: b.reports[rp.Old].Name,
			OtherFile: b.reports[rp.New].Name, Kind: b.reports[rp.Old].Kind, Period: &dates})
	}
}

// limitToPeriod leaves out the visits dated outside the period.
func (b *balancer) limitToPeriod() {
	b.outside = make([]int, len(b.reports))
	for ri, r := range b.reports {
		for i, v := range r.Visits {
			if b.at[ri][i] != leftOut && !b.dates.Contains(v.DOS) {
				b.at[ri][i] = leftOut
				b.outside[ri] += int(v.Count)
			}
		}
	}
}

// covers reports whether report ri states location loc or has a visit
// balanced there.
func (b *balancer) covers(ri int, loc string) bool {
	return b.stated[ri] != "" && b.stated[ri] == loc || slices.Contains(b.at[ri], loc)
}

// locationsToBalance lists the locations the visit reports state or have
// visits at, sorted by key; when there are none, the one location the
// files are about.
func (b *balancer) locationsToBalance() []string {
	var locs []string
	for ri := range b.visitReports() {
		if l := b.stated[ri]; l != "" && !slices.Contains(locs, l) {
			locs = append(locs, l)
		}
		for _, l := range b.at[ri] {
			if l != leftOut && l != anyLocation && !slices.Contains(locs, l) {
				locs = append(locs, l)
			}
		}
	}
	if len(locs) == 0 {
		k := ""
		if len(b.named) == 1 {
			k = b.named[0]
		}
		locs = append(locs, k)
	}
	slices.Sort(locs)
	return locs
}

func (b *balancer) missingSide(loc string) Side {
	var has Sides[bool]
	for ri, r := range b.visitReports() {
		if b.covers(ri, loc) {
			has[r.Kind.Side().Index()] = true
		}
	}
	return MissingSide(has[0], has[1])
}

// waiting describes a location that cannot be balanced yet.
func (b *balancer) waiting(loc string, missing Side) Waiting {
	w := Waiting{Location: b.names[loc], Missing: missing, Have: []string{}}
	var p Period
	for ri, r := range b.visitReports() {
		if !b.covers(ri, loc) {
			continue
		}
		w.Have = append(w.Have, r.Name)
		if !r.Period.IsZero() {
			p = p.Union(r.Period)
		}
		for i, v := range r.Visits {
			if b.at[ri][i] != loc {
				continue
			}
			if r.Period.IsZero() {
				p = p.Union(Period{From: v.DOS, To: v.DOS})
			}
			w.Visits += int(v.Count)
		}
	}
	w.From, w.To = p.From, p.To
	return w
}

func (b *balancer) identity(loc string) (Identity, error) {
	var sides Sides[[]VisitReport]
	for ri, r := range b.visitReports() {
		if b.covers(ri, loc) {
			s := r.Kind.Side().Index()
			sides[s] = append(sides[s], VisitReport{Name: r.Name, Columns: r.Columns})
		}
	}
	where := b.names[loc]
	if where == "" {
		where = "the location"
	}
	return ChooseIdentity(where, sides[0], sides[1])
}

// indexChecks files the check reports' items by location, kind and date,
// with the Documented Units report's units and initial evaluations.
func (b *balancer) indexChecks() {
	b.checks = map[checkAt][]checkItem{}
	b.duUnits = map[string]float64{}
	b.duIE = map[string]*Evaluations{}
	for ri, r := range b.reports {
		if r.Kind.Role() != RoleCheck || r.Kind == KindInsuranceClassSummary {
			continue
		}
		du := r.Kind == KindDocumentedUnits
		b.duHasUnits = b.duHasUnits || du && r.Columns.Units
		for i, v := range r.Visits {
			loc := b.at[ri][i]
			if loc == leftOut {
				continue
			}
			at := checkAt{loc, r.Kind, v.DOS}
			b.checks[at] = append(b.checks[at], checkItem{v.Patient, NameKey(v.Patient.Name), v.Flags, v.Detail.Note})
			if !du {
				continue
			}
			if r.Columns.Units {
				b.duUnits[loc] += v.Units
			}
			if v.IEUnits > 0 {
				if b.duIE[loc] == nil {
					b.duIE[loc] = &Evaluations{}
				}
				b.duIE[loc].Add(NameKey(v.Patient.Name)+"\x00"+v.Patient.ID, Evaluation{Patient: v.Patient.Name, PatientID: v.Patient.ID,
					DateOfService: v.DOS, Code: v.Detail.Code, Units: v.IEUnits})
			}
		}
	}
}

// checkFlags is what the check reports of kind k say about patient p on
// dos at loc (and for every location); listed is set when they list it.
func (b *balancer) checkFlags(loc string, k Kind, p Patient, dos Date) (f Flag, listed bool) {
	key := NameKey(p.Name)
	for _, l := range []string{loc, anyLocation} {
		for _, it := range b.checks[checkAt{l, k, dos}] {
			if SamePatient(p, key, it.patient, it.nameKey) {
				f |= it.flags
				listed = true
			}
		}
	}
	return f, listed
}

// checkNote is the first note the check reports of kind k give for
// patient p on dos at loc (or for every location).
func (b *balancer) checkNote(loc string, k Kind, p Patient, dos Date) string {
	key := NameKey(p.Name)
	for _, l := range []string{loc, anyLocation} {
		for _, it := range b.checks[checkAt{l, k, dos}] {
			if it.note != "" && SamePatient(p, key, it.patient, it.nameKey) {
				return it.note
			}
		}
	}
	return ""
}

// withDetail adds what helps to work an EMR visit of key k with reason r:
// its therapist, and the note of the check report the reason comes from.
func (b *balancer) withDetail(loc string, m Mismatch, k *key) Mismatch {
	m.Provider = k.detail.Provider
	if kind := NoteFrom(m.Reason); kind != "" {
		m.Note = b.checkNote(loc, kind, k.patient, k.dos)
	}
	return m
}

// side is one side's visits at a location, one key per patient and date
// as the location's identity tells patients apart, in the order first
// given.
type side struct {
	keys            []*key
	units           float64
	hasUnits, hasIE bool
}

type key struct {
	who     string
	dos     Date
	patient Patient
	// byDV and byOther are what Documented Visits reports and the other
	// reports count for the key: a key both kinds count is counted once,
	// the larger count.
	byDV, byOther int
	flags         Flag
	ie            float64
	// detail is the first visit's: its therapist.
	detail Detail
	// accts holds the key's visits per account, in the order given.
	accts []AccountVisits
}

func (k *key) count() int { return max(k.byDV, k.byOther) }

// gather collects side s's visits at loc.
func (b *balancer) gather(loc string, s Side, id Identity) *side {
	sv := &side{}
	at := map[patientDay]*key{}
	for ri, r := range b.visitReports() {
		if r.Kind.Side() != s {
			continue
		}
		sv.hasUnits = sv.hasUnits || r.Columns.Units
		sv.hasIE = sv.hasIE || r.Columns.CPT
		for i, v := range r.Visits {
			if b.at[ri][i] != loc {
				continue
			}
			sv.units += v.Units
			pd := patientDay{Who(id, s, v.Patient), v.DOS}
			k := at[pd]
			if k == nil {
				k = &key{who: pd.who, dos: v.DOS, patient: v.Patient, detail: v.Detail}
				at[pd] = k
				sv.keys = append(sv.keys, k)
			} else {
				// Later rows may carry an id the first did not.
				k.patient.Fill(v.Patient)
			}
			if r.Kind == KindDocumentedVisits {
				k.byDV += int(v.Count)
			} else {
				k.byOther += int(v.Count)
			}
			k.flags |= v.Flags
			k.ie += v.IEUnits
			if i := slices.IndexFunc(k.accts, func(a AccountVisits) bool { return a.Account == v.Patient.Account }); i >= 0 {
				k.accts[i].Visits += int(v.Count)
			} else {
				k.accts = append(k.accts, AccountVisits{v.Patient.Account, int(v.Count)})
			}
		}
	}
	return sv
}

// balance balances one location.
func (b *balancer) balance(loc string, id Identity) Location {
	out := Location{Location: b.names[loc], Reasons: map[Reason]int{}, PerDay: id == ByDay}
	emr, bill := b.gather(loc, SideEMR, id), b.gather(loc, SideBilling, id)
	switch {
	case emr.hasUnits:
		out.EMRUnits = ptr(emr.units)
	case b.duHasUnits:
		out.EMRUnits = ptr(b.duUnits[loc] + b.duUnits[anyLocation])
	}
	if bill.hasUnits {
		out.BillingUnits = ptr(bill.units)
	}
	out.NewPatients = b.newPatients(loc, emr)

	days := map[Date]*Day{}
	count := func(dos Date, e, bl int) {
		d := days[dos]
		if d == nil {
			d = &Day{Date: dos}
			days[dos] = d
		}
		m := min(e, bl)
		d.EMRVisits += e
		d.BillingVisits += bl
		d.MatchedVisits += m
		out.EMRVisits += e
		out.BillingVisits += bl
		out.MatchedVisits += m
	}
	var pending []Pending[string]
	if id == ByDay {
		pending = b.matchByDay(loc, emr, bill, count)
	} else {
		pending = b.matchByKey(loc, emr, bill, count)
	}
	slices.SortFunc(pending, func(x, y Pending[string]) int {
		return cmp.Or(cmp.Compare(x.Who, y.Who), cmp.Compare(x.Mismatch.DateOfService, y.Mismatch.DateOfService),
			cmp.Compare(x.Mismatch.Side, y.Mismatch.Side), cmp.Compare(x.Mismatch.Patient, y.Mismatch.Patient))
	})
	PairDOS(pending)
	PairNames(pending)
	out.Mismatches = []Mismatch{}
	for _, p := range pending {
		m := Settle(p)
		out.Reasons[m.Reason]++
		out.Mismatches = append(out.Mismatches, m)
	}
	SortMismatches(out.Mismatches)
	out.Days = []Day{}
	for _, d := range slices.SortedFunc(maps.Values(days), func(x, y *Day) int { return cmp.Compare(x.Date, y.Date) }) {
		out.Days = append(out.Days, *d)
	}
	out.Balanced = out.ActionCount() == 0
	return out
}

// emrReason is the first reason before dos_mismatch for an EMR visit of
// key k that billing lacks; billed is billing's count for the key.
func (b *balancer) emrReason(loc string, k *key, billed int) Reason {
	du, listed := b.checkFlags(loc, KindDocumentedUnits, k.patient, k.dos)
	ex, _ := b.checkFlags(loc, KindBillingExceptions, k.patient, k.dos)
	claims, _ := b.checkFlags(loc, KindClaimsFeed, k.patient, k.dos)
	return EMRReason(EMRFacts{Flags: k.flags | du, InDocumentedUnits: listed, Billed: billed,
		Exception: ex&FlagException != 0, Claims: claims})
}

// matchByKey matches per patient and date: min(EMR, billing) visits of a
// key match, and the rest are mismatches on the side that has more.
func (b *balancer) matchByKey(loc string, emr, bill *side, count func(Date, int, int)) []Pending[string] {
	var pending []Pending[string]
	match := func(ek, bk *key) {
		var e, bl int
		k := ek
		if ek != nil {
			e = ek.count()
		}
		if bk != nil {
			bl = bk.count()
			if k == nil {
				k = bk
			}
		}
		if e == 0 && bl == 0 {
			return
		}
		count(k.dos, e, bl)
		m := min(e, bl)
		for range e - m {
			reason := b.emrReason(loc, ek, bl)
			pending = append(pending, Pending[string]{Mismatch: b.withDetail(loc, mismatch(SideEMR, ek.patient, k.dos, reason), ek),
				Who: k.who, EMRCount: e, Pairable: reason == ""})
		}
		var accts []AccountVisits
		if bk != nil {
			accts = bk.accts
		}
		for _, x := range ExtraBilling(accts, bl, m) {
			p := bk.patient
			if x != nil {
				p.Account = x.Account
			}
			mm := mismatch(SideBilling, p, k.dos, "")
			mm.Provider = bk.detail.Provider
			if x != nil {
				mm.MatchedAccount = x.Matched
			}
			pending = append(pending, Pending[string]{Mismatch: mm, Who: k.who, EMRCount: e, Pairable: true,
				AnotherPatient: x != nil && x.Matched != ""})
		}
	}
	billing := map[patientDay]*key{}
	for _, k := range bill.keys {
		billing[patientDay{k.who, k.dos}] = k
	}
	matched := map[*key]bool{}
	for _, ek := range emr.keys {
		bk := billing[patientDay{ek.who, ek.dos}]
		if bk != nil {
			matched[bk] = true
		}
		match(ek, bk)
	}
	for _, bk := range bill.keys {
		if !matched[bk] {
			match(nil, bk)
		}
	}
	return pending
}

// matchByDay balances a location whose billing export has no patients:
// per day, the smaller count matches; on a day the EMR is higher, its
// visits with an expected reason are listed, and the rest of the
// difference is counted as unexplained but cannot be listed by patient.
func (b *balancer) matchByDay(loc string, emr, bill *side, count func(Date, int, int)) []Pending[string] {
	perDay := map[Date]*[2]int{}
	add := func(k *key, s int) {
		c := perDay[k.dos]
		if c == nil {
			c = &[2]int{}
			perDay[k.dos] = c
		}
		c[s] += k.count()
	}
	for _, k := range emr.keys {
		add(k, 0)
	}
	for _, k := range bill.keys {
		add(k, 1)
	}
	var pending []Pending[string]
	for _, dos := range slices.Sorted(maps.Keys(perDay)) {
		e, bl := perDay[dos][0], perDay[dos][1]
		count(dos, e, bl)
		listed := 0
		if e > bl {
			for _, k := range emr.keys {
				if k.dos != dos {
					continue
				}
				// A patient with several notes that day is billed once.
				for i := range k.count() {
					if reason := b.emrReason(loc, k, min(i, 1)); reason != "" {
						pending = append(pending, Pending[string]{Mismatch: b.withDetail(loc, mismatch(SideEMR, k.patient, dos, reason), k)})
						listed++
					}
				}
			}
		}
		s, rest := SideEMR, e-bl-listed
		if bl > e {
			s, rest = SideBilling, bl-e
		}
		for range max(rest, 0) {
			pending = append(pending, Pending[string]{Mismatch: Mismatch{Side: s, DateOfService: dos}})
		}
	}
	return pending
}

func mismatch(s Side, p Patient, dos Date, r Reason) Mismatch {
	return Mismatch{Side: s, Patient: p.Name, PatientID: p.ID, Account: p.Account, DateOfService: dos, Reason: r}
}

// newPatients compares the EMR's initial evaluations at loc with the
// Insurance Class Summary's New Patients, when one is given for it.
func (b *balancer) newPatients(loc string, emr *side) *NewPatients {
	var billing float64
	found := false
	single := b.opt.Location != "" || len(b.named) <= 1
	for _, r := range b.reports {
		if r.Kind != KindInsuranceClassSummary || !NewPatientsComparable(r.Period, b.dates) {
			continue
		}
		for l, n := range r.NewPatients {
			if NewPatientsCount(b.key(l), b.key(r.Location), loc, single) {
				billing += n
				found = true
			}
		}
	}
	if !found {
		return nil
	}
	var units, sameDay float64
	if emr.hasIE {
		for _, k := range emr.keys {
			if k.ie > 0 {
				units += k.ie
				sameDay += max(k.ie-1, 0)
			}
		}
		np := CompareNewPatients(units, sameDay, billing)
		if NewPatientsDiffer(np) {
			for _, k := range emr.keys {
				if k.ie > 0 {
					np.Evaluations = append(np.Evaluations, Evaluation{Patient: k.patient.Name, PatientID: k.patient.ID, DateOfService: k.dos,
						Code: k.detail.Code, Units: k.ie})
				}
			}
		}
		return np
	}
	// SOAP 2.0: initial evaluations come from the Documented Units report.
	units, sameDay, visits := MergeEvaluations(b.duIE[loc], b.duIE[anyLocation])
	np := CompareNewPatients(units, sameDay, billing)
	if NewPatientsDiffer(np) {
		np.Evaluations = visits
	}
	return np
}

func (b *balancer) reportFacts() []ReportFacts {
	facts := make([]ReportFacts, len(b.reports))
	for ri, r := range b.reports {
		f := ReportFacts{Name: r.Name, Kind: r.Kind, DateBasis: r.DateBasis, Stated: r.Stated, GrandTotal: r.GrandTotal,
			Visits: r.VisitCount(), Outside: b.outside[ri], Period: r.Period}
		if r.Kind.Role() == RoleVisits {
			f.Units = r.UnitCount()
		}
		for _, v := range r.Visits {
			if r.Kind == KindClaimsFeed && v.Flags&FlagNotSent != 0 {
				f.NotSent++
			}
			if r.Kind == KindClaimsFeed && v.Flags&FlagNotRebilled != 0 {
				f.NotRebilled++
			}
		}
		facts[ri] = f
	}
	return facts
}

func (b *balancer) inputs() []Input {
	out := make([]Input, len(b.reports))
	for i, r := range b.reports {
		locs := r.Locations()
		if locs == nil {
			locs = []string{}
		}
		p := r.Period
		if p.IsZero() {
			p = r.DateSpan()
		}
		out[i] = Input{File: r.Name, Kind: r.Kind, Side: r.Kind.Side(), Locations: locs,
			From: p.From, To: p.To, Rows: r.Rows, Visits: r.VisitCount()}
		if r.Kind == KindInsuranceClassSummary {
			var n float64
			for _, v := range r.NewPatients {
				n += v
			}
			out[i].NewPatients = &n
		}
	}
	return out
}
