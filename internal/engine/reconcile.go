package engine

import (
	"cmp"
	"iter"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/balancebot/balancebot/internal/rules"
	"golang.org/x/sync/errgroup"
)

// Reconcile balances the visits of the EMR reports against those of the
// billing reports, by location and date of service, and explains every
// visit that is on one side only. It reads nothing and writes nothing: the
// reports are already parsed.
//
// An *Error with code EInvalid is returned when the reports cannot be
// balanced as given (no EMR side, no billing side, a location that cannot be
// told, periods that share no dates).
//
// A month for hundreds of clinics is a million visits a side, so the work
// is laid out for the memory: each visit gets a location index, each side
// is gathered in one pass in file order into small per-location maps, the
// two sides at once, and the locations are then balanced in parallel.
func Reconcile(reports []*Report, opt rules.Options) (*rules.Result, error) {
	rc := &reconciler{reports: reports, opt: opt}
	if err := rc.checkSides(); err != nil && !opt.SkipIncomplete {
		return nil, err
	}
	if err := rc.resolveLocations(); err != nil {
		return nil, err
	}
	if err := rc.resolvePeriod(); err != nil {
		return nil, err
	}
	rc.applyReplacement()
	rc.filterPeriod()
	rc.countByLocation()
	rc.pairLocations()
	res := &rules.Result{From: rc.period.From, To: rc.period.To, Balanced: true, Waiting: []rules.Waiting{}}
	var todo []int32
	for _, loc := range rc.locationOrder() {
		if missing := rc.missingSide(loc); missing != "" {
			if opt.SkipIncomplete {
				w := rc.waiting(loc, missing)
				w.OtherNames = rc.unpaired[missing]
				res.Waiting = append(res.Waiting, w)
				continue
			}
			if len(rc.unpaired[missing]) == 0 {
				// Else the unpaired locations' warning says it.
				rc.warnMissingSide(loc, missing)
			}
		}
		todo = append(todo, loc)
	}
	if err := rc.gather(todo); err != nil {
		return nil, err
	}
	locs := rc.balanceAll(todo)
	for _, l := range locs {
		res.Balanced = res.Balanced && l.Balanced
		res.Locations = append(res.Locations, *l)
	}
	if len(res.Locations) == 0 {
		// Nothing could be balanced: not "balanced".
		res.Balanced = false
		res.Locations = []rules.Location{}
	}
	rc.reportWarnings()
	rc.resultWarnings(res)
	res.Warnings = rc.warnings
	if res.Warnings == nil {
		res.Warnings = []rules.Warning{}
	}
	res.Inputs = rc.inputs()
	return res, nil
}

// Special location indexes of a visit.
const (
	// anyLoc marks a check report's visit that names no location: the
	// report is for every location (a Billing Exceptions Report, say).
	anyLoc int32 = -1
	// dropped marks a visit left out: replaced by a newer export, or
	// dated outside the period.
	dropped int32 = -2
)

type reconciler struct {
	reports []*Report
	opt     rules.Options
	period  rules.Period
	// keys lists the locations by index, as LocationKeys; index finds one.
	keys  []string
	index map[string]int32
	// locName is the display name of each location key; locSeen the keys
	// the visit reports name, in order.
	locName map[string]string
	locSeen []string
	// vloc[ri][i] is the location index of report ri's visit i, anyLoc or
	// dropped.
	vloc [][]int32
	// count[ri][loc] is how many of report ri's visits are kept at loc;
	// stated[ri] is the index of the location the report states, or -1.
	count  [][]int32
	stated []int32
	// ident is how patients are told apart at each location.
	ident []rules.Identity
	// exact marks locations balanced by name text instead of name hashes,
	// after two different names were found to share a hash there.
	exact []bool
	// exactIDs numbers the exact name keys of such locations.
	exactMu  sync.Mutex
	exactIDs map[string]whoKey
	// sides holds each side's visits per location, once gathered.
	emr, bill []*sideVisits
	// checks holds the check reports' items per location, and those for
	// every location.
	checks   []*checkIndex
	anyCheck *checkIndex
	// units and initial evaluations of the Documented Units report.
	duUnits    []float64
	duUnitsAny float64
	duHasUnits bool
	duIE       []*rules.Evaluations
	duIEAny    *rules.Evaluations
	warnings   []rules.Warning
	// unpaired holds, per side, its locations that lack the other side and
	// pair with none, when both sides have such.
	unpaired map[rules.Side][]string
	outside  []int // per report: visits left out as outside the period
}

func (rc *reconciler) warn(w rules.Warning) { rc.warnings = append(rc.warnings, w) }

// checkSides asks for an EMR and a billing side to balance.
func (rc *reconciler) checkSides() error {
	var has rules.Sides[bool]
	var given []rules.VisitReportKind
	for _, r := range rc.reports {
		if r.Kind.Role() == rules.RoleVisits {
			has[r.Kind.Side().Index()] = true
		}
		given = append(given, rules.VisitReportKind{Name: r.Name, Kind: r.Kind})
	}
	if missing := rules.MissingSide(has[0], has[1]); missing != "" {
		return rules.ErrNoSide(missing, given)
	}
	return nil
}

// locIndex returns the index of location key k, adding it if new.
func (rc *reconciler) locIndex(k string) int32 {
	if i, ok := rc.index[k]; ok {
		return i
	}
	i := int32(len(rc.keys))
	rc.keys = append(rc.keys, k)
	rc.index[k] = i
	return i
}

// resolveLocations gives every visit a location: its row's, its report's,
// the user's, or the one location the other reports name.
func (rc *reconciler) resolveLocations() error {
	rc.locName = map[string]string{}
	rc.index = map[string]int32{}
	// LocationKey is worked out once per spelling: rows repeat a handful.
	keys := map[string]string{}
	keyOf := func(l string) string {
		k, ok := keys[l]
		if !ok {
			k = rc.key(l)
			keys[l] = k
		}
		return k
	}
	note := func(l string) {
		k := keyOf(l)
		if k == "" {
			return
		}
		if _, ok := rc.locName[k]; !ok {
			rc.locName[k] = strings.TrimSpace(rc.opt.Locations.Resolve(l))
			rc.locSeen = append(rc.locSeen, k)
		}
	}
	// Visit reports decide which locations are being balanced; check reports
	// often span every location and must not make the choice ambiguous.
	for _, r := range rc.reports {
		if r.Kind.Role() == rules.RoleVisits {
			note(r.Location)
			for _, l := range r.locs {
				note(l)
			}
		}
	}
	note(rc.opt.Location)
	fallback := rules.LocationFallback(rc.opt.Locations.Resolve(rc.opt.Location), rc.locSeen)
	rc.vloc = make([][]int32, len(rc.reports))
	rc.stated = make([]int32, len(rc.reports))
	for ri, r := range rc.reports {
		own := rc.key(r.Location)
		rc.stated[ri] = -1
		if own != "" {
			rc.stated[ri] = rc.locIndex(own)
		}
		vl := make([]int32, len(r.Visits))
		resolve := func(raw string) (int32, error) {
			k, any, ok := rules.VisitLocation(keyOf(raw), own, r.Kind.Role(), fallback, len(rc.locSeen) > 1)
			switch {
			case !ok:
				return 0, rules.ErrNoLocation(r.Name, r.Kind, rc.locNames())
			case any:
				return anyLoc, nil
			}
			return rc.locIndex(k), nil
		}
		// Each of the report's locations is resolved once, when a visit
		// first has it.
		const unresolved = math.MinInt32
		byLoc := make([]int32, len(r.locs))
		for i := range byLoc {
			byLoc[i] = unresolved
		}
		for i := range r.Visits {
			l := r.Visits[i].loc
			if byLoc[l] == unresolved {
				idx, err := resolve(r.locs[l])
				if err != nil {
					return err
				}
				byLoc[l] = idx
			}
			vl[i] = byLoc[l]
		}
		rc.vloc[ri] = vl
	}
	return nil
}

// locNames lists the locations the visit reports name, sorted by key.
func (rc *reconciler) locNames() []string {
	keys := slices.Sorted(slices.Values(rc.locSeen))
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = rc.locName[k]
	}
	return names
}

// resolvePeriod gathers what the visit reports state and hold, per side,
// and lets the rules settle the dates being balanced.
func (rc *reconciler) resolvePeriod() error {
	var stated, found rules.Sides[rules.Period]
	for _, r := range rc.reports {
		if r.Kind.Role() != rules.RoleVisits {
			continue
		}
		s := r.Kind.Side().Index()
		if !r.Period.From.IsZero() && !r.Period.To.IsZero() {
			stated[s] = stated[s].Union(r.Period)
		}
		found[s] = found[s].Union(r.DateSpan())
	}
	p, w, err := rules.ResolvePeriod(rc.opt.Period, stated, found)
	if err != nil {
		return err
	}
	if w != nil {
		rc.warn(*w)
	}
	rc.period = p
	return nil
}

// applyReplacement leaves out what a newer export of the same kind
// replaced, as the rules decide (rules.Latest).
func (rc *reconciler) applyReplacement() {
	perKind := map[rules.Kind]int{}
	several := false
	for _, r := range rc.reports {
		perKind[r.Kind]++
		several = several || perKind[r.Kind] > 1
	}
	if !several {
		return // nothing can replace anything
	}
	covers := make([]iter.Seq[rules.Slot[int32]], len(rc.reports))
	for ri, r := range rc.reports {
		// The locations it covers, in a fixed order: its rows' and the
		// one it states.
		var locs []int32
		for _, l := range rc.vloc[ri] {
			if !slices.Contains(locs, l) {
				locs = append(locs, l)
			}
		}
		if l := rc.stated[ri]; l >= 0 && !slices.Contains(locs, l) {
			locs = append(locs, l)
		}
		slices.Sort(locs)
		covers[ri] = rules.Covers(r.Kind, r.Period, locs, func(yield func(int32, rules.Date) bool) {
			for i := range r.Visits {
				if !yield(rc.vloc[ri][i], r.Visits[i].DOS) {
					return
				}
			}
		})
	}
	owner, replaced := rules.Latest(covers)
	for ri, r := range rc.reports {
		for i := range r.Visits {
			if owner[rules.Slot[int32]{Kind: r.Kind, Loc: rc.vloc[ri][i], DOS: r.Visits[i].DOS}] != ri {
				rc.vloc[ri][i] = dropped
			}
		}
	}
	for _, rp := range replaced {
		o, n := rc.reports[rp.Old], rc.reports[rp.New]
		dates := rp.Dates
		rc.warn(rules.Warning{Code: rules.WarnReplaced, File: o.Name, OtherFile: n.Name, Kind: o.Kind, Period: &dates})
	}
}

// key is the key of the location a name found in an export means, through
// the user's map.
func (rc *reconciler) key(name string) string {
	return rules.LocationKey(rc.opt.Locations.Resolve(name))
}

// pairLocations balances as one an EMR location and a billing location
// that each lack the other side, when the rules pair them
// (rules.PairLocations), under the EMR's name, and warns of those left
// unpaired on both sides.
func (rc *reconciler) pairLocations() {
	var emrOnly, billingOnly []string
	index := map[string]int32{}
	for _, loc := range rc.locationOrder() {
		name := rc.locName[rc.keys[loc]]
		if name == "" || rc.opt.Locations.Has(name) {
			continue
		}
		index[name] = loc
		switch rc.missingSide(loc) {
		case rules.SideBilling:
			emrOnly = append(emrOnly, name)
		case rules.SideEMR:
			billingOnly = append(billingOnly, name)
		}
	}
	pairs, emrLeft, billingLeft := rules.PairLocations(emrOnly, billingOnly)
	for _, p := range pairs {
		from, to := index[p.Billing], index[p.EMR]
		for ri := range rc.reports {
			if rc.stated[ri] == from {
				rc.stated[ri] = to
			}
			for i, l := range rc.vloc[ri] {
				if l == from {
					rc.vloc[ri][i] = to
				}
			}
		}
		rc.warn(rules.Warning{Code: rules.WarnLocationsPaired, Location: p.EMR, BillingLocations: []string{p.Billing}})
	}
	if len(pairs) > 0 {
		rc.countByLocation()
	}
	if len(emrLeft) > 0 && len(billingLeft) > 0 {
		rc.warn(rules.Warning{Code: rules.WarnLocationsUnpaired, Locations: emrLeft, BillingLocations: billingLeft})
		rc.unpaired = map[rules.Side][]string{rules.SideEMR: emrLeft, rules.SideBilling: billingLeft}
	}
}

// filterPeriod leaves out visits dated outside the period.
func (rc *reconciler) filterPeriod() {
	rc.outside = make([]int, len(rc.reports))
	for ri, r := range rc.reports {
		if r.within(rc.period) {
			continue // no need to look at each visit
		}
		vl := rc.vloc[ri]
		for i := range r.Visits {
			if vl[i] != dropped && !rc.period.Contains(r.Visits[i].DOS) {
				vl[i] = dropped
				rc.outside[ri] += int(r.Visits[i].Count)
			}
		}
	}
}

// countByLocation counts each report's kept visits per location.
func (rc *reconciler) countByLocation() {
	rc.count = make([][]int32, len(rc.reports))
	for ri := range rc.reports {
		c := make([]int32, len(rc.keys))
		for _, l := range rc.vloc[ri] {
			if l >= 0 {
				c[l]++
			}
		}
		rc.count[ri] = c
	}
}

// locationOrder lists the locations to balance: those the visit reports
// name or carry, sorted by key.
func (rc *reconciler) locationOrder() []int32 {
	seen := map[int32]bool{}
	var locs []int32
	add := func(l int32) {
		if !seen[l] {
			seen[l] = true
			locs = append(locs, l)
		}
	}
	for ri, r := range rc.reports {
		if r.Kind.Role() != rules.RoleVisits {
			continue
		}
		if rc.stated[ri] >= 0 {
			add(rc.stated[ri])
		}
		for l, n := range rc.count[ri] {
			if n > 0 {
				add(int32(l))
			}
		}
	}
	if len(locs) == 0 {
		// Nothing in the period: still answer for the one location the
		// files are about.
		k := ""
		if len(rc.locSeen) == 1 {
			k = rc.locSeen[0]
		}
		add(rc.locIndex(k))
		rc.countByLocation()
	}
	sort.Slice(locs, func(i, j int) bool { return rc.keys[locs[i]] < rc.keys[locs[j]] })
	return locs
}

// reportAt reports whether report ri counts visits at loc, or states loc.
func (rc *reconciler) reportAt(ri int, loc int32) bool {
	return rc.stated[ri] == loc || int(loc) < len(rc.count[ri]) && rc.count[ri][loc] > 0
}

// missingSide names the side that has no visit report at loc, or "".
func (rc *reconciler) missingSide(loc int32) rules.Side {
	var has rules.Sides[bool]
	for ri, r := range rc.reports {
		if r.Kind.Role() == rules.RoleVisits && rc.reportAt(ri, loc) {
			has[r.Kind.Side().Index()] = true
		}
	}
	return rules.MissingSide(has[0], has[1])
}

// waiting describes a location that cannot be balanced yet.
func (rc *reconciler) waiting(loc int32, missing rules.Side) rules.Waiting {
	w := rules.Waiting{Location: rc.locName[rc.keys[loc]], Missing: missing, Have: []string{}}
	var p rules.Period
	for ri, r := range rc.reports {
		if r.Kind.Role() != rules.RoleVisits || !rc.reportAt(ri, loc) {
			continue
		}
		w.Have = append(w.Have, r.Name)
		if !r.Period.IsZero() {
			p = p.Union(r.Period)
		}
		for i := range r.Visits {
			if rc.vloc[ri][i] != loc {
				continue
			}
			if r.Period.IsZero() {
				p = p.Union(rules.Period{From: r.Visits[i].DOS, To: r.Visits[i].DOS})
			}
			w.Visits += int(r.Visits[i].Count)
		}
	}
	w.From, w.To = p.From, p.To
	return w
}

func (rc *reconciler) warnMissingSide(loc int32, missing rules.Side) {
	rc.warn(rules.Warning{Code: rules.WarnMissingSide, Location: rc.locName[rc.keys[loc]], Side: missing})
}

func (rc *reconciler) displayLoc(loc int32) string {
	if n := rc.locName[rc.keys[loc]]; n != "" {
		return n
	}
	return "the location"
}

// identityAt asks the rules how patients are matched at loc, from the
// visit reports that cover it.
func (rc *reconciler) identityAt(loc int32) (rules.Identity, error) {
	var sides rules.Sides[[]rules.VisitReport]
	for ri, r := range rc.reports {
		if r.Kind.Role() != rules.RoleVisits || !rc.reportAt(ri, loc) {
			continue
		}
		s := r.Kind.Side().Index()
		sides[s] = append(sides[s], rules.VisitReport{Name: r.Name, Columns: r.Columns})
	}
	return rules.ChooseIdentity(rc.displayLoc(loc), sides[0], sides[1])
}

// sideVisits is one side's visits at a location, one keyVisits per patient
// and date, in the order the files first give them.
type sideVisits struct {
	list []keyVisits
	// refs are the side's visits at the location, in file order.
	refs  []visitRef
	units float64
	ie    float64
	// ieSameDay is the initial-evaluation units beyond one per patient and
	// day, which billing counts once.
	ieSameDay float64
	hasUnits  bool
	hasIE     bool
	// keys finds a key's visits; made only for the day-by-day balance.
	keys map[patientDay]*keyVisits
	// merged holds the patients of keys whose visits complete each other.
	merged []rules.Patient
}

// index makes keys.
func (sv *sideVisits) index() {
	sv.keys = make(map[patientDay]*keyVisits, len(sv.list))
	for i := range sv.list {
		sv.keys[sv.list[i].key()] = &sv.list[i]
	}
}

// whoKey is a patient as a location's identity sees it: the hash of the
// name key when names decide, of the normalised id when ids do, or, at a
// location found to hold a hash collision, a number given to the exact
// name key; 0 is no patient. It comes with a second hash, the check, that
// tells apart two patients who share the first.
type whoKey uint64

func (a whoKey) compare(b whoKey) int { return cmp.Compare(a, b) }

type patientDay struct {
	who whoKey
	dos rules.Date
}

type keyVisits struct {
	who whoKey
	// check is the first visit's NameCheck, kept here so matching the two
	// sides does not go back to the visits.
	check uint64
	ie    float64
	count int
	dos   rules.Date
	// idx and rep are the key's first visit, report rep's Visits[idx],
	// whose patient is shown; merged, when not -1, indexes the side's
	// merged patients: that patient completed with ids only later visits
	// carried. A keyVisits holds no pointers, like the visits.
	idx    int32
	merged int32
	// byBR and byDV are what each EMR visit kind counts for the key, so a
	// key both kinds count is counted once (the larger count); billing
	// counts in byBR.
	byBR, byDV int32
	rep        int16
	flags      rules.Flag
}

func (k *keyVisits) key() patientDay { return patientDay{k.who, k.dos} }

// patient is who key k's visits on side sv are for.
func (rc *reconciler) patient(sv *sideVisits, k *keyVisits) rules.Patient {
	if k.merged >= 0 {
		return sv.merged[k.merged]
	}
	r := rc.reports[k.rep]
	return r.Patient(&r.Visits[k.idx])
}

// add completes key k's patient with what visit v of report r carries and
// it lacks.
func (rc *reconciler) add(sv *sideVisits, k *keyVisits, r *Report, v *Visit) {
	if v.name.n == 0 && v.id.n == 0 && v.account.n == 0 {
		return
	}
	p := rc.patient(sv, k)
	q := r.Patient(v)
	if (p.Name == "" && q.Name != "") || (p.ID == "" && q.ID != "") || (p.Account == "" && q.Account != "") {
		p.Fill(q)
		if k.merged < 0 {
			k.merged = int32(len(sv.merged))
			sv.merged = append(sv.merged, p)
		} else {
			sv.merged[k.merged] = p
		}
	}
}

// gather works out each location's identity, then collects both sides'
// visits, one pass each in file order and the two at once, and the check
// reports' items.
func (rc *reconciler) gather(todo []int32) error {
	n := len(rc.keys)
	rc.ident = make([]rules.Identity, n)
	for _, loc := range todo {
		id, err := rc.identityAt(loc)
		if err != nil {
			return err
		}
		rc.ident[loc] = id
	}
	for _, r := range rc.reports {
		r.hashNames()
	}
	rc.exact = make([]bool, n)
	var wg sync.WaitGroup
	var clashE, clashB []int32
	wg.Go(func() { rc.emr, clashE = rc.collect(todo, rules.SideEMR) })
	wg.Go(func() { rc.bill, clashB = rc.collect(todo, rules.SideBilling) })
	wg.Go(rc.gatherChecks)
	wg.Wait()
	rc.regather(append(clashE, clashB...))
	return nil
}

// regather gathers again, by name text, the locations where two names
// shared a hash. Collisions of 64-bit hashes between patients of one
// location are rare beyond measure, but the balance must be exact anyway.
func (rc *reconciler) regather(locs []int32) {
	if len(locs) == 0 {
		return
	}
	for _, loc := range locs {
		rc.exact[loc] = true
	}
	emr, _ := rc.collect(locs, rules.SideEMR)
	bill, _ := rc.collect(locs, rules.SideBilling)
	for _, loc := range locs {
		rc.emr[loc], rc.bill[loc] = emr[loc], bill[loc]
	}
}

// who is visit v's patient as location loc's identity sees it, with its
// check.
func (rc *reconciler) who(loc int32, side rules.Side, r *Report, v *Visit) (whoKey, uint64) {
	var id string
	switch rc.ident[loc] {
	case rules.ByAccount:
		id = "acct:" + rules.NormID(r.str(v.account))
	case rules.ByPatientID:
		id = "id:" + rules.NormID(r.str(v.id))
	case rules.ByDay:
		if side == rules.SideBilling {
			// Billing has no patients; the EMR keeps its own, so its visits
			// can still be told apart and explained.
			return 0, 0
		}
	}
	switch {
	case rc.exact[loc]:
		if id == "" {
			id = rules.NameKey(r.str(v.name))
		}
		n := rc.exactID(id)
		return n, uint64(n)
	case id != "":
		return hashID(id)
	}
	return whoKey(v.NameHash), v.NameCheck
}

// hashID hashes a normalised id the way names are hashed; a missing id is
// no patient.
func hashID(id string) (whoKey, uint64) {
	if strings.HasSuffix(id, ":") {
		return 0, 0
	}
	return whoKey(hashName([]byte(id))), checkName([]byte(id))
}

// exactID numbers an exact name key.
func (rc *reconciler) exactID(key string) whoKey {
	if key == "" || strings.HasSuffix(key, ":") {
		return 0
	}
	rc.exactMu.Lock()
	defer rc.exactMu.Unlock()
	if rc.exactIDs == nil {
		rc.exactIDs = map[string]whoKey{}
	}
	id, ok := rc.exactIDs[key]
	if !ok {
		id = whoKey(len(rc.exactIDs) + 1)
		rc.exactIDs[key] = id
	}
	return id
}

// clash reports whether two name hashes that met are in fact two
// different patients, as their second hashes show: a collision, which
// sends the location to be balanced by name text.
func (rc *reconciler) clash(loc int32, a, b uint64) bool {
	return a != b && !rc.exact[loc]
}

// keyTable returns slots for about n keys, all empty (-1), reusing buf.
func keyTable(buf []int32, n int) []int32 {
	size := 16
	for size < 2*n {
		size *= 2
	}
	if cap(buf) < size {
		buf = make([]int32, size)
	}
	buf = buf[:size]
	for i := range buf {
		buf[i] = -1
	}
	return buf
}

// keyHash spreads a patient and date over a key table.
func keyHash(who whoKey, dos rules.Date) uint64 {
	h := uint64(who) ^ uint64(uint32(dos))*0x9e3779b97f4a7c15
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>32
}

// visitRef is a visit of one side at one location: report rep's
// Visits[idx].
type visitRef struct{ rep, idx int32 }

// collect gathers one side's visits at the locations in todo: one pass in
// file order puts a reference to each visit in its location's range of one
// array; each location's visits are then grouped by patient and date in a
// table that fits in cache, each visit asked for from memory a few visits
// ahead of its turn. It returns the locations where two names shared a
// hash, to be gathered again by name text.
func (rc *reconciler) collect(todo []int32, side rules.Side) ([]*sideVisits, []int32) {
	out := make([]*sideVisits, len(rc.keys))
	var hasUnits, hasIE bool
	for _, r := range rc.reports {
		if r.Kind.Role() == rules.RoleVisits && r.Kind.Side() == side {
			hasUnits = hasUnits || r.Columns.Units
			hasIE = hasIE || r.Columns.CPT
		}
	}
	off := make([]int, len(rc.keys))
	total := 0
	for _, loc := range todo {
		off[loc] = total
		for ri, r := range rc.reports {
			if r.Kind.Role() == rules.RoleVisits && r.Kind.Side() == side {
				total += int(rc.count[ri][loc])
			}
		}
		out[loc] = &sideVisits{hasUnits: hasUnits, hasIE: hasIE}
	}
	refs := make([]visitRef, total)
	hugePages(refs)
	// Each location's keys go in its own range of one array, which has
	// room for as many keys as the location has visits: one allocation of
	// fresh memory instead of one per location.
	keys := make([]keyVisits, total)
	hugePages(keys)
	end := slices.Clone(off)
	for ri, r := range rc.reports {
		if r.Kind.Role() != rules.RoleVisits || r.Kind.Side() != side {
			continue
		}
		vl := rc.vloc[ri]
		for i := range r.Visits {
			loc := vl[i]
			if loc < 0 || out[loc] == nil {
				continue
			}
			refs[end[loc]] = visitRef{int32(ri), int32(i)}
			end[loc]++
		}
	}
	var clashed []int32
	var slots []int32
	// ahead is how many visits before its turn a visit is asked for: enough
	// to cover a trip to memory with the work on the ones between.
	const ahead = 8
	visit := func(e visitRef) *Visit { return &rc.reports[e.rep].Visits[e.idx] }
	for _, loc := range todo {
		es := refs[off[loc]:end[loc]]
		sv := out[loc]
		sv.refs = es
		sv.list = keys[off[loc]:off[loc]:end[loc]]
		// A table of the location's keys, in cache: a location holds a
		// few thousand visits at most, even in a chain's month.
		slots = keyTable(slots, len(es))
		mask := uint64(len(slots) - 1)
		for j := range min(ahead, len(es)) {
			prefetchVisit(visit(es[j]))
		}
		for j, e := range es {
			if j+ahead < len(es) {
				prefetchVisit(visit(es[j+ahead]))
			}
			r := rc.reports[e.rep]
			v := &r.Visits[e.idx]
			// Units add up in file order, as the refs keep it.
			sv.units += v.Units
			who, check := rc.who(loc, side, r, v)
			i := keyHash(who, v.DOS) & mask
			for ; slots[i] >= 0; i = (i + 1) & mask {
				if kv := &sv.list[slots[i]]; kv.who == who && kv.dos == v.DOS {
					break
				}
			}
			if slots[i] < 0 {
				slots[i] = int32(len(sv.list))
				sv.list = append(sv.list, keyVisits{who: who, dos: v.DOS, rep: int16(e.rep), idx: e.idx, merged: -1, check: check})
			} else {
				kv := &sv.list[slots[i]]
				if rc.clash(loc, kv.check, check) && !slices.Contains(clashed, loc) {
					clashed = append(clashed, loc)
				}
				rc.add(sv, kv, r, v)
			}
			kv := &sv.list[slots[i]]
			if r.Kind == rules.KindDocumentedVisits {
				kv.byDV += v.Count
			} else {
				kv.byBR += v.Count
			}
			kv.flags |= v.Flags
			kv.ie += v.IEUnits
		}
		for i := range sv.list {
			kv := &sv.list[i]
			kv.count = int(max(kv.byBR, kv.byDV))
			if kv.ie > 0 {
				sv.ie += kv.ie
				if kv.ie > 1 {
					sv.ieSameDay += kv.ie - 1
				}
			}
		}
	}
	return out, clashed
}

// checkIndex finds the check reports' items for a patient and date.
type checkIndex struct {
	items map[checkSlot][]checkItem
}

type checkSlot struct {
	kind rules.Kind
	dos  rules.Date
}

type checkItem struct {
	patient rules.Patient
	nameKey string
	flags   rules.Flag
	note    string
}

// gatherChecks indexes the check reports' items by location (and those for
// every location), with the Documented Units report's units and initial
// evaluations.
func (rc *reconciler) gatherChecks() {
	n := len(rc.keys)
	rc.checks = make([]*checkIndex, n)
	rc.anyCheck = &checkIndex{items: map[checkSlot][]checkItem{}}
	rc.duUnits = make([]float64, n)
	rc.duIE = make([]*rules.Evaluations, n)
	rc.duIEAny = &rules.Evaluations{}
	for ri, r := range rc.reports {
		if r.Kind.Role() != rules.RoleCheck || r.Kind == rules.KindInsuranceClassSummary {
			continue
		}
		du := r.Kind == rules.KindDocumentedUnits
		if du && r.Columns.Units {
			rc.duHasUnits = true
		}
		for i := range r.Visits {
			loc := rc.vloc[ri][i]
			if loc == dropped {
				continue
			}
			v := &r.Visits[i]
			ci := rc.anyCheck
			if loc >= 0 {
				if rc.checks[loc] == nil {
					rc.checks[loc] = &checkIndex{items: map[checkSlot][]checkItem{}}
				}
				ci = rc.checks[loc]
			}
			s := checkSlot{r.Kind, v.DOS}
			p := r.Patient(v)
			ci.items[s] = append(ci.items[s], checkItem{p, rules.NameKey(p.Name), v.Flags, r.DetailOf(v).Note})
			if !du {
				continue
			}
			var ev rules.Evaluation
			if v.IEUnits > 0 {
				ev = rules.Evaluation{Patient: p.Name, PatientID: p.ID, DateOfService: v.DOS, Code: r.DetailOf(v).Code, Units: v.IEUnits}
			}
			who := rules.NameKey(p.Name) + "\x00" + p.ID
			if loc >= 0 {
				if r.Columns.Units {
					rc.duUnits[loc] += v.Units
				}
				if v.IEUnits > 0 {
					if rc.duIE[loc] == nil {
						rc.duIE[loc] = &rules.Evaluations{}
					}
					rc.duIE[loc].Add(who, ev)
				}
			} else {
				if r.Columns.Units {
					rc.duUnitsAny += v.Units
				}
				if v.IEUnits > 0 {
					rc.duIEAny.Add(who, ev)
				}
			}
		}
	}
}

// checksAt is a lookup over the items at loc and those for every location.
type checksAt struct{ here, any *checkIndex }

func (c checksAt) flags(p rules.Patient, dos rules.Date, k rules.Kind) rules.Flag {
	return c.here.flags(p, dos, k) | c.any.flags(p, dos, k)
}

func (c checksAt) has(k rules.Kind, p rules.Patient, dos rules.Date) bool {
	return c.here.has(k, p, dos) || c.any.has(k, p, dos)
}

// note is the first note the check reports of kind k give for p on dos,
// at the location and then for every location.
func (c checksAt) note(k rules.Kind, p rules.Patient, dos rules.Date) string {
	nk := rules.NameKey(p.Name)
	for _, ci := range []*checkIndex{c.here, c.any} {
		if ci == nil {
			continue
		}
		for _, it := range ci.items[checkSlot{k, dos}] {
			if it.note != "" && rules.SamePatient(p, nk, it.patient, it.nameKey) {
				return it.note
			}
		}
	}
	return ""
}

// withDetail adds what helps to work an EMR visit of key k: its therapist
// (the key's first visit's), and the note of the check report its reason
// comes from.
func (rc *reconciler) withDetail(m rules.Mismatch, k *keyVisits, p rules.Patient, checks checksAt) rules.Mismatch {
	m.Provider = rc.detail(k).Provider
	if kind := rules.NoteFrom(m.Reason); kind != "" {
		m.Note = checks.note(kind, p, m.DateOfService)
	}
	return m
}

// detail is key k's first visit's detail.
func (rc *reconciler) detail(k *keyVisits) rules.Detail {
	r := rc.reports[k.rep]
	return r.DetailOf(&r.Visits[k.idx])
}

func (ci *checkIndex) flags(p rules.Patient, dos rules.Date, k rules.Kind) rules.Flag {
	if ci == nil {
		return 0
	}
	items := ci.items[checkSlot{k, dos}]
	if len(items) == 0 {
		return 0
	}
	var f rules.Flag
	nk := rules.NameKey(p.Name)
	for _, it := range items {
		if rules.SamePatient(p, nk, it.patient, it.nameKey) {
			f |= it.flags
		}
	}
	return f
}

func (ci *checkIndex) has(k rules.Kind, p rules.Patient, dos rules.Date) bool {
	if ci == nil {
		return false
	}
	items := ci.items[checkSlot{k, dos}]
	if len(items) == 0 {
		return false
	}
	nk := rules.NameKey(p.Name)
	for _, it := range items {
		if rules.SamePatient(p, nk, it.patient, it.nameKey) {
			return true
		}
	}
	return false
}

// balanceAll balances the locations in todo, on every core, keeping their
// order.
func (rc *reconciler) balanceAll(todo []int32) []*rules.Location {
	out := make([]*rules.Location, len(todo))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, loc := range todo {
		g.Go(func() error {
			out[i] = rc.balanceLocation(loc)
			return nil
		})
	}
	g.Wait()
	// A location where a key on both sides turned out to be two patients
	// under one hash is gathered again by name text and balanced again.
	for i, l := range out {
		if l == nil {
			rc.regather([]int32{todo[i]})
			out[i] = rc.balanceLocation(todo[i])
		}
	}
	return out
}

// balanceLocation balances one location; it returns nil when a key on both
// sides holds two different patients under one name hash.
func (rc *reconciler) balanceLocation(loc int32) *rules.Location {
	out := &rules.Location{Location: rc.locName[rc.keys[loc]], Reasons: map[rules.Reason]int{}}
	id := rc.ident[loc]
	emr, bill := rc.emr[loc], rc.bill[loc]
	if emr.hasUnits {
		out.EMRUnits = ptr(emr.units)
	} else if rc.duHasUnits {
		out.EMRUnits = ptr(rc.duUnits[loc] + rc.duUnitsAny)
	}
	if bill.hasUnits {
		out.BillingUnits = ptr(bill.units)
	}
	out.NewPatients = rc.newPatients(loc, emr)

	checks := checksAt{rc.checks[loc], rc.anyCheck}
	// A day's figures are found twice a key: by its place in the period
	// when the period is short, as it always is (the map lookups were a
	// third of the matching), else in a map.
	days := map[rules.Date]*rules.Day{}
	var inPeriod []*rules.Day
	if n := rc.period.Days(); n > 0 && n <= 1000 {
		inPeriod = make([]*rules.Day, n)
	}
	day := func(d rules.Date) *rules.Day {
		if i := int(d - rc.period.From); i >= 0 && i < len(inPeriod) {
			if inPeriod[i] == nil {
				inPeriod[i] = &rules.Day{Date: d}
				days[d] = inPeriod[i]
			}
			return inPeriod[i]
		}
		if days[d] == nil {
			days[d] = &rules.Day{Date: d}
		}
		return days[d]
	}
	var pending []pendingMismatch
	if id == rules.ByDay {
		emr.index()
		bill.index()
		keys := make([]patientDay, 0, len(emr.keys)+len(bill.keys))
		for k := range emr.keys {
			keys = append(keys, k)
		}
		for k := range bill.keys {
			if emr.keys[k] == nil {
				keys = append(keys, k)
			}
		}
		slices.SortFunc(keys, func(a, b patientDay) int {
			return cmp.Or(cmp.Compare(a.dos, b.dos), a.who.compare(b.who))
		})
		pending = rc.matchByDay(out, keys, emr, bill, checks, day)
	} else {
		var clash bool
		pending, clash = rc.matchByKey(loc, out, emr, bill, checks, day)
		if clash {
			return nil
		}
	}
	// Visits come out of the maps in no set order; the few mismatches are
	// put in one, so pairing and results never depend on it.
	slices.SortFunc(pending, func(a, b pendingMismatch) int {
		return cmp.Or(a.Who.compare(b.Who), cmp.Compare(a.Mismatch.DateOfService, b.Mismatch.DateOfService),
			cmp.Compare(a.Mismatch.Side, b.Mismatch.Side), cmp.Compare(a.Mismatch.Patient, b.Mismatch.Patient))
	})
	rules.PairDOS(pending)
	rules.PairNames(pending)
	for _, p := range pending {
		m := rules.Settle(p)
		out.Reasons[m.Reason]++
		out.Mismatches = append(out.Mismatches, m)
	}
	rules.SortMismatches(out.Mismatches)
	if out.Mismatches == nil {
		out.Mismatches = []rules.Mismatch{}
	}
	for _, d := range days {
		out.Days = append(out.Days, *d)
	}
	slices.SortFunc(out.Days, func(a, b rules.Day) int { return cmp.Compare(a.Date, b.Date) })
	if out.Days == nil {
		out.Days = []rules.Day{}
	}
	out.Balanced = out.ActionCount() == 0
	if id == rules.ByDay {
		out.PerDay = true
	}
	return out
}

func (rc *reconciler) newPatients(loc int32, emr *sideVisits) *rules.NewPatients {
	var billing float64
	found := false
	key := rc.keys[loc]
	for _, r := range rc.reports {
		if r.Kind != rules.KindInsuranceClassSummary || !rules.NewPatientsComparable(r.Period, rc.period) {
			continue
		}
		for l, n := range r.NewPatients {
			if rules.NewPatientsCount(rc.key(l), rc.key(r.Location), key, rc.opt.Location != "" || len(rc.locSeen) <= 1) {
				billing += n
				found = true
			}
		}
	}
	if !found {
		return nil
	}
	if emr.hasIE {
		np := rules.CompareNewPatients(emr.ie, emr.ieSameDay, billing)
		if rules.NewPatientsDiffer(np) {
			for i := range emr.list {
				if k := &emr.list[i]; k.ie > 0 {
					p := rc.patient(emr, k)
					np.Evaluations = append(np.Evaluations, rules.Evaluation{Patient: p.Name, PatientID: p.ID, DateOfService: k.dos,
						Code: rc.detail(k).Code, Units: k.ie})
				}
			}
		}
		return np
	}
	// SOAP 2.0: initial evaluations come from the Documented Units report.
	units, same, visits := rules.MergeEvaluations(rc.duIE[loc], rc.duIEAny)
	np := rules.CompareNewPatients(units, same, billing)
	if rules.NewPatientsDiffer(np) {
		np.Evaluations = visits
	}
	return np
}

// pendingMismatch is a mismatch whose reason may still be dos_mismatch,
// duplicate or unexplained.
type pendingMismatch = rules.Pending[whoKey]

func (rc *reconciler) matchByKey(loc int32, out *rules.Location, emr, bill *sideVisits, checks checksAt, day func(rules.Date) *rules.Day) ([]pendingMismatch, bool) {
	var pending []pendingMismatch
	match := func(k patientDay, ek, bk *keyVisits) {
		var e, b int
		if ek != nil {
			e = ek.count
		}
		if bk != nil {
			b = bk.count
		}
		if e == 0 && b == 0 {
			return
		}
		m := min(e, b)
		out.EMRVisits += e
		out.BillingVisits += b
		out.MatchedVisits += m
		d := day(k.dos)
		d.EMRVisits += e
		d.BillingVisits += b
		d.MatchedVisits += m
		for range e - m {
			p := rc.patient(emr, ek)
			reason := rc.emrReason(ek, p, b, checks, k.dos)
			pending = append(pending, pendingMismatch{
				Mismatch: rc.withDetail(mismatch(rules.SideEMR, p, k.dos, reason), ek, p, checks),
				Who:      k.who,
				EMRCount: e,
				Pairable: reason == "",
			})
		}
		var accts []rules.AccountVisits
		if b > m && m > 0 {
			// Rare: billing has more for a key the EMR has. Whether the
			// extra visits are another patient's takes their accounts.
			accts = rc.accounts(loc, bill, bk)
		}
		for _, x := range rules.ExtraBilling(accts, b, m) {
			p := rc.patient(bill, bk)
			if x != nil {
				p.Account = x.Account
			}
			mm := mismatch(rules.SideBilling, p, k.dos, "")
			mm.Provider = rc.detail(bk).Provider
			if x != nil {
				mm.MatchedAccount = x.Matched
			}
			pending = append(pending, pendingMismatch{
				Mismatch:       mm,
				Who:            k.who,
				EMRCount:       e,
				Pairable:       true,
				AnotherPatient: x != nil && x.Matched != "",
			})
		}
	}
	// Each EMR key looks for its billing key in a table of billing's keys.
	B := bill.list
	slots := keyTable(nil, len(B))
	mask := uint64(len(slots) - 1)
	for j := range B {
		i := keyHash(B[j].who, B[j].dos) & mask
		for slots[i] >= 0 {
			i = (i + 1) & mask
		}
		slots[i] = int32(j)
	}
	matched := make([]bool, len(B))
	for k := range emr.list {
		ek := &emr.list[k]
		var bk *keyVisits
		for i := keyHash(ek.who, ek.dos) & mask; slots[i] >= 0; i = (i + 1) & mask {
			if b := &B[slots[i]]; b.who == ek.who && b.dos == ek.dos {
				bk = b
				matched[slots[i]] = true
				break
			}
		}
		if bk != nil && rc.clash(loc, ek.check, bk.check) {
			return nil, true
		}
		match(ek.key(), ek, bk)
	}
	for j := range B {
		if !matched[j] {
			match(B[j].key(), nil, &B[j])
		}
	}
	return pending, false
}

// matchByDay balances a location whose billing export has no patients: per
// day, the smaller count matches; on a day EMR is higher, the EMR visits
// with an expected reason are listed, and the rest of the difference is
// counted as unexplained but cannot be listed.
func (rc *reconciler) matchByDay(out *rules.Location, keys []patientDay, emr, bill *sideVisits, checks checksAt, day func(rules.Date) *rules.Day) []pendingMismatch {
	perDay := map[rules.Date][2]int{}
	var dates []rules.Date
	for _, k := range keys {
		c, seen := perDay[k.dos]
		if !seen {
			dates = append(dates, k.dos)
		}
		if ek := emr.keys[k]; ek != nil {
			c[0] += ek.count
		}
		if bk := bill.keys[k]; bk != nil {
			c[1] += bk.count
		}
		perDay[k.dos] = c
	}
	slices.Sort(dates)
	var pending []pendingMismatch
	for _, dos := range dates {
		c := perDay[dos]
		e, b := c[0], c[1]
		m := min(e, b)
		out.EMRVisits += e
		out.BillingVisits += b
		out.MatchedVisits += m
		d := day(dos)
		d.EMRVisits, d.BillingVisits, d.MatchedVisits = d.EMRVisits+e, d.BillingVisits+b, d.MatchedVisits+m
		listed := 0
		if e > b {
			for _, k := range keys {
				ek := emr.keys[k]
				if k.dos != dos || ek == nil {
					continue
				}
				// A patient with several notes that day is billed once.
				for i := range ek.count {
					billed := 0
					if i > 0 {
						billed = 1
					}
					p := rc.patient(emr, ek)
					if reason := rc.emrReason(ek, p, billed, checks, dos); reason != "" {
						pending = append(pending, pendingMismatch{Mismatch: rc.withDetail(mismatch(rules.SideEMR, p, dos, reason), ek, p, checks)})
						listed++
					}
				}
			}
		}
		side, rest := rules.SideEMR, e-b-listed
		if b > e {
			side, rest = rules.SideBilling, b-e
		}
		for range max(rest, 0) {
			pending = append(pending, pendingMismatch{Mismatch: rules.Mismatch{Side: side, DateOfService: dos}})
		}
	}
	return pending
}

func mismatch(s rules.Side, p rules.Patient, dos rules.Date, r rules.Reason) rules.Mismatch {
	return rules.Mismatch{Side: s, Patient: p.Name, PatientID: p.ID, Account: p.Account, DateOfService: dos, Reason: r}
}

// accounts lists billing key k's visits at loc per account, in file order,
// going back over the location's billing visits.
func (rc *reconciler) accounts(loc int32, sv *sideVisits, k *keyVisits) []rules.AccountVisits {
	var out []rules.AccountVisits
	for _, ref := range sv.refs {
		r := rc.reports[ref.rep]
		v := &r.Visits[ref.idx]
		if v.DOS != k.dos {
			continue
		}
		if who, _ := rc.who(loc, rules.SideBilling, r, v); who != k.who {
			continue
		}
		a := r.str(v.account)
		if i := slices.IndexFunc(out, func(x rules.AccountVisits) bool { return x.Account == a }); i >= 0 {
			out[i].Visits += int(v.Count)
		} else {
			out = append(out, rules.AccountVisits{Account: a, Visits: int(v.Count)})
		}
	}
	return out
}

// emrReason gathers what the reports say about an EMR visit billing
// lacks and asks the rules for its reason, or "" when none before
// dos_mismatch applies. billed is billing's count for the key.
func (rc *reconciler) emrReason(k *keyVisits, p rules.Patient, billed int, checks checksAt, dos rules.Date) rules.Reason {
	return rules.EMRReason(rules.EMRFacts{
		Flags:             k.flags | checks.flags(p, dos, rules.KindDocumentedUnits),
		InDocumentedUnits: checks.has(rules.KindDocumentedUnits, p, dos),
		Billed:            billed,
		Exception:         checks.flags(p, dos, rules.KindBillingExceptions)&rules.FlagException != 0,
		Claims:            checks.flags(p, dos, rules.KindClaimsFeed),
	})
}

func ptr(f float64) *float64 { return &f }

// reportWarnings gathers what the rules need to know of each report for
// the warnings the reports themselves raise.
func (rc *reconciler) reportWarnings() {
	facts := make([]rules.ReportFacts, len(rc.reports))
	for ri, r := range rc.reports {
		f := rules.ReportFacts{Name: r.Name, Kind: r.Kind, DateBasis: r.DateBasis, Stated: r.Stated, GrandTotal: r.GrandTotal,
			Visits: r.VisitCount(), Outside: rc.outside[ri], Period: r.Period}
		if r.Kind.Role() == rules.RoleVisits {
			f.Units = r.UnitCount()
		}
		if r.Kind == rules.KindClaimsFeed {
			for i := range r.Visits {
				v := &r.Visits[i]
				if v.Flags&rules.FlagNotSent != 0 {
					f.NotSent++
				}
				if v.Flags&rules.FlagNotRebilled != 0 {
					f.NotRebilled++
				}
			}
		}
		facts[ri] = f
	}
	rc.warnings = append(rc.warnings, rules.ReportWarnings(facts, rc.period)...)
}

func (rc *reconciler) inputs() []rules.Input {
	out := make([]rules.Input, len(rc.reports))
	for i, r := range rc.reports {
		locs := r.Locations()
		if locs == nil {
			locs = []string{}
		}
		p := r.Period
		if p.IsZero() {
			p = r.DateSpan()
		}
		out[i] = rules.Input{File: r.Name, Kind: r.Kind, Side: r.Kind.Side(), Locations: locs,
			From: p.From, To: p.To, Rows: r.Rows, Visits: r.VisitCount()}
		if r.Kind == rules.KindInsuranceClassSummary {
			var n float64
			for _, v := range r.NewPatients {
				n += v
			}
			out[i].NewPatients = &n
		}
	}
	return out
}

// resultWarnings adds the warnings the balance's result raises.
func (rc *reconciler) resultWarnings(res *rules.Result) {
	var given []rules.Kind
	for _, r := range rc.reports {
		if r.Kind != rules.KindInsuranceClassSummary || rules.NewPatientsComparable(r.Period, rc.period) {
			given = append(given, r.Kind)
		}
	}
	rc.warnings = append(rc.warnings, rules.ResultWarnings(res, given, rc.locNames())...)
}
