package balance

import (
	"strings"
	"unicode"
	"unicode/utf8"
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
	var tok nameTokens
	if i := strings.IndexByte(name, ','); i >= 0 {
		// "Last, First Middle" (a second comma, as in "Smith, John, Jr.",
		// only adds tokens to the given part; suffixes are dropped anyway).
		tok.split(name[:i])
		surnameEnd := tok.n
		tok.split(name[i+1:])
		return tok.key(0, surnameEnd, surnameEnd)
	}
	tok.split(name)
	switch tok.n {
	case 0:
		return ""
	case 1:
		return tok.key(0, 1, -1)
	}
	// "First [Middle...] Last": the surname is the last token, or starts at
	// the first particle after the given name when one comes before it.
	start := tok.n - 1
	for i := 1; i < tok.n-1; i++ {
		if isParticle(tok.word(i)) {
			start = i
			break
		}
	}
	return tok.key(start, tok.n, 0)
}

// nameTokens collects the normalised words of a name in one buffer, so
// building a key costs one allocation at most.
type nameTokens struct {
	buf   []byte
	ends  [16]int
	n     int
	store [64]byte
}

func (t *nameTokens) word(i int) string {
	start := 0
	if i > 0 {
		start = t.ends[i-1]
	}
	return string(t.buf[start:t.ends[i]])
}

// split appends the words of s. Words break at spaces and periods; other
// punctuation (hyphen, apostrophe, ...) is dropped inside a word, so
// "O'Brien" is one word "obrien". Suffixes are not kept.
func (t *nameTokens) split(s string) {
	if t.buf == nil {
		t.buf = t.store[:0]
	}
	start := len(t.buf)
	flush := func() {
		if len(t.buf) > start {
			if isSuffix(string(t.buf[start:])) || t.n == len(t.ends) {
				t.buf = t.buf[:start]
			} else {
				t.ends[t.n] = len(t.buf)
				t.n++
			}
		}
		start = len(t.buf)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				t.buf = append(t.buf, c)
			case 'A' <= c && c <= 'Z':
				t.buf = append(t.buf, c+'a'-'A')
			case c == ' ' || c == '.' || c == '\t' || c == '/' || c == '(' || c == ')':
				flush()
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsSpace(r):
			flush()
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			t.buf = appendFolded(t.buf, unicode.ToLower(r))
		}
	}
	flush()
}

// key joins words [from,to) as the surname and word given as the first
// given name ("" when given < 0), as "surname|given".
func (t *nameTokens) key(from, to, given int) string {
	if t.n == 0 {
		return ""
	}
	start := func(i int) int {
		if i == 0 {
			return 0
		}
		return t.ends[i-1]
	}
	var out []byte
	if from < to {
		out = append(out, t.buf[start(from):t.ends[to-1]]...)
	}
	out = append(out, '|')
	if given >= 0 && given < t.n && (given < from || given >= to) {
		out = append(out, t.buf[start(given):t.ends[given]]...)
	}
	return string(out)
}

func isSuffix(w string) bool {
	switch w {
	case "jr", "sr", "ii", "iii", "iv":
		return true
	}
	return false
}

// isParticle reports whether w starts a compound surname (De La Cruz, Van
// Dyke, St John). Only these decide where a surname starts when the name is
// written first-name first.
func isParticle(w string) bool {
	switch w {
	case "de", "del", "della", "der", "den", "di", "da", "das", "dos", "du",
		"la", "le", "van", "von", "st", "ter", "ten", "bin", "ibn", "al", "el":
		return true
	}
	return false
}

// appendFolded appends r without its accent for the Latin letters that
// systems disagree on ("José" in the EMR, "Jose" in billing).
func appendFolded(b []byte, r rune) []byte {
	switch {
	case r >= 'à' && r <= 'å', r == 'ā', r == 'ă', r == 'ą':
		return append(b, 'a')
	case r == 'æ':
		return append(b, 'a', 'e')
	case r == 'ç', r == 'ć', r == 'č':
		return append(b, 'c')
	case r >= 'è' && r <= 'ë', r == 'ē', r == 'ę', r == 'ě':
		return append(b, 'e')
	case r >= 'ì' && r <= 'ï', r == 'ī', r == 'ı':
		return append(b, 'i')
	case r == 'ñ', r == 'ń', r == 'ň':
		return append(b, 'n')
	case r >= 'ò' && r <= 'ö', r == 'ø', r == 'ō', r == 'ő':
		return append(b, 'o')
	case r >= 'ù' && r <= 'ü', r == 'ū', r == 'ů', r == 'ű':
		return append(b, 'u')
	case r == 'ý', r == 'ÿ':
		return append(b, 'y')
	case r == 'ß':
		return append(b, 's', 's')
	case r == 'š', r == 'ś':
		return append(b, 's')
	case r == 'ž', r == 'ź', r == 'ż':
		return append(b, 'z')
	case r == 'ł':
		return append(b, 'l')
	}
	return utf8.AppendRune(b, r)
}
