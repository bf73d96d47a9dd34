package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NameKey returns the identity of a patient name for matching across
// systems that write names differently. The EMR may say "Smith, John M." and
// billing "JOHN SMITH"; both give the key "smith|john".
//
// The key is the surname and the first given name, lower case, with
// punctuation, accents, middle names, initials and suffixes (Jr., III)
// dropped. "Last, First" and "First Last" orders are both understood. A
// compound surname is kept whole: in "Maria De La Cruz" the surname starts at
// the particle "De", so it equals "De La Cruz, Maria". Hyphens and
// apostrophes join rather than split ("Smith-Jones", "O'Brien").
//
// An empty or all-punctuation name gives "".
func NameKey(name string) string {
	return string(AppendNameKey(nil, name))
}

// AppendNameKey appends the NameKey of name to dst, so hot loops can build
// keys in a reused buffer.
func AppendNameKey(dst []byte, name string) []byte {
	// The words go in a buffer on the stack (keys are made for every new
	// visit, and most names fit); ends marks where each word ends.
	var store [96]byte
	var ends [16]int
	buf, n := store[:0], 0
	if i := strings.IndexByte(name, ','); i >= 0 {
		// "Last, First Middle" (a second comma, as in "Smith, John, Jr.",
		// only adds words to the given part; suffixes are dropped anyway).
		buf, n = splitWords(buf, &ends, n, name[:i])
		surnameEnd := n
		buf, n = splitWords(buf, &ends, n, name[i+1:])
		return appendKey(dst, buf, &ends, n, 0, surnameEnd, surnameEnd)
	}
	buf, n = splitWords(buf, &ends, n, name)
	switch n {
	case 0:
		return dst
	case 1:
		return appendKey(dst, buf, &ends, n, 0, 1, -1)
	}
	// "First [Middle...] Last": the surname is the last word, or starts at
	// the first particle after the given name when one comes before it.
	start := n - 1
	for i := 1; i < n-1; i++ {
		from := 0
		if i > 0 {
			from = ends[i-1]
		}
		if isParticle(buf[from:ends[i]]) {
			start = i
			break
		}
	}
	return appendKey(dst, buf, &ends, n, start, n, 0)
}

// splitWords appends the normalised words of s to buf, recording where each
// ends, and returns buf and the word count. Words break at spaces and
// periods; other punctuation (hyphen, apostrophe, ...) is dropped inside a
// word, so "O'Brien" is one word "obrien". Suffixes are not kept. It takes
// and returns buf rather than keeping it in a struct, so buf stays on the
// caller's stack.
func splitWords(buf []byte, ends *[16]int, n int, s string) ([]byte, int) {
	start := len(buf)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch k := nameByte[c]; k {
			case 0: // dropped
			case wordBreak:
				buf, n, start = endWord(buf, ends, n, start)
			default:
				buf = append(buf, k)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsSpace(r):
			buf, n, start = endWord(buf, ends, n, start)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			buf = appendFolded(buf, unicode.ToLower(r))
		}
	}
	buf, n, _ = endWord(buf, ends, n, start)
	return buf, n
}

// wordBreak marks the ASCII characters that end a word in nameByte.
const wordBreak = 1

// nameByte is what an ASCII character of a name becomes in its key: a
// letter lower-cased, a digit itself, wordBreak for a space, period, tab,
// slash or parenthesis, and 0 (dropped) for the rest.
var nameByte = func() (t [utf8.RuneSelf]byte) {
	for c := byte('a'); c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = c, c
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c
	}
	for _, c := range " .\t/()" {
		t[c] = wordBreak
	}
	return t
}()

// endWord ends the word that started at start: it is kept, unless it is a
// suffix or there are already as many words as ends holds.
func endWord(buf []byte, ends *[16]int, n, start int) ([]byte, int, int) {
	if len(buf) > start {
		if n == len(ends) || isSuffix(buf[start:]) {
			buf = buf[:start]
		} else {
			ends[n] = len(buf)
			n++
		}
	}
	return buf, n, len(buf)
}

// appendKey appends words [from,to) as the surname and word given as the
// first given name (none when given < 0), as "surname|given".
func appendKey(out, buf []byte, ends *[16]int, n, from, to, given int) []byte {
	if n == 0 {
		return out
	}
	start := func(i int) int {
		if i == 0 {
			return 0
		}
		return ends[i-1]
	}
	if from < to {
		out = append(out, buf[start(from):ends[to-1]]...)
	}
	out = append(out, '|')
	if given >= 0 && given < n && (given < from || given >= to) {
		out = append(out, buf[start(given):ends[given]]...)
	}
	return out
}

// isSuffix reports whether w is a name suffix (Jr, III). It takes bytes: a
// conversion to string on every word cost more than the rest of the key.
func isSuffix(w []byte) bool {
	switch string(w) {
	case "jr", "sr", "ii", "iii", "iv":
		return true
	}
	return false
}

// isParticle reports whether w starts a compound surname (De La Cruz, Van
// Dyke, St John). Only these decide where a surname starts when the name is
// written first-name first.
func isParticle(w []byte) bool {
	switch string(w) {
	case "de", "del", "della", "der", "den", "di", "da", "das", "dos", "du",
		"la", "le", "van", "von", "st", "ter", "ten", "bin", "ibn", "al", "el":
		return true
	}
	return false
}

// appendFolded appends r, a lower-case letter or digit, without its
// accents or other marks, as systems disagree on them: "José" in the EMR,
// "Jose" in billing; "Dvořák" and "Dvorak". Unicode's compatibility
// decomposition (golang.org/x/text/unicode/norm) splits a letter into its
// base and its marks, and only the base is kept. Letters with a stroke or a
// ligature have no decomposition (ł, ø, đ, ß, æ): unfolded lists what
// people write for them without a keyboard that has them.
func appendFolded(b []byte, r rune) []byte {
	if s, ok := unfolded[r]; ok {
		return append(b, s...)
	}
	var one [utf8.UTFMax]byte
	p := norm.NFKD.Properties(one[:utf8.EncodeRune(one[:], r)])
	d := p.Decomposition()
	if d == nil {
		return utf8.AppendRune(b, r)
	}
	for len(d) > 0 {
		c, size := utf8.DecodeRune(d)
		d = d[size:]
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			b = utf8.AppendRune(b, unicode.ToLower(c))
		}
	}
	return b
}

// unfolded spells the lower-case letters that Unicode does not decompose
// the way people type them without the letter: "Łukasz" is "Lukasz",
// "Søren" is "Soren", "Straße" is "Strasse".
var unfolded = map[rune]string{
	'ł': "l", 'ø': "o", 'đ': "d", 'ð': "d", 'ħ': "h", 'ŧ': "t", 'ı': "i",
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'þ': "th", 'ŋ': "n", 'ƒ': "f",
}
