package catalog

import (
	"slices"
	"strings"
	"unicode"

	"madaf/internal/paging"
)

// SearchQuery is a catalog search: what the person typed, optionally
// limited to one category or one tender, one keyset page at a time.
type SearchQuery struct {
	Q        string
	Category string
	TenderID int64
	Page     paging.Page
}

// TenderRef is the tender a catalog hit belongs to, with its title and
// category in Arabic and English where the tender gives them.
type TenderRef struct {
	ID         int64   `db:"id" json:"id"`
	Number     string  `db:"number" json:"number"`
	Title      string  `db:"title" json:"title"`
	TitleAr    *string `db:"title_ar" json:"title_ar"`
	TitleEn    *string `db:"title_en" json:"title_en"`
	Category   string  `db:"category" json:"category"`
	CategoryAr *string `db:"category_ar" json:"category_ar"`
	CategoryEn *string `db:"category_en" json:"category_en"`
	AwardRule  string  `db:"award_rule" json:"award_rule"`
}

// TitleIn is the tender's title in lang, the Hebrew when lang's is not
// given.
func (t TenderRef) TitleIn(lang string) string { return nameIn(lang, t.Title, t.TitleAr, t.TitleEn) }

// CategoryIn is the tender's category in lang, the Hebrew when lang's is
// not given.
func (t TenderRef) CategoryIn(lang string) string {
	return nameIn(lang, t.Category, t.CategoryAr, t.CategoryEn)
}

// Hit is an item found in the catalog with its tender and every active
// award's price in force, cheapest first; a supplier is shown only its own.
type Hit struct {
	Item
	Tender TenderRef `json:"tender"`
	Offers []Offer   `json:"offers"`
	// tier is how the item was found (matchSKU … matchSimilar); hits come
	// by tier, then by item id.
	tier int
}

// Key is the hit's place in the order of the results, for the cursor of
// the next page: its tier, then its item id.
func (h Hit) Key() int64 { return int64(h.tier)<<tierShift | h.ID }

// SearchResult is one page of hits and how many items the search finds in
// all: Total, counted up to SearchCountLimit; Capped when there are more.
type SearchResult struct {
	Hits   []Hit
	Total  int
	Capped bool
}

// SearchCountLimit is how far a search counts the items it finds; beyond
// it the result says "more than SearchCountLimit".
const SearchCountLimit = 100

// How an item matches a query, best first. An item is found by the best
// tier it matches; the tiers of one level share a result, and a level is
// tried only when the levels before it find nothing:
//
//   - level 0: matchSKU, its code starts with the query's (MED-001,
//     med001; a query without a Latin letter or digit is no code); matchName, its Hebrew name holds the query as typed;
//     matchWords, its names (Hebrew, Arabic, English) hold every word of
//     the query in search-key form, a Hebrew plural (ים, ות) or an English
//     one (s, es) also without its ending;
//   - level 1: matchPrefix, the same with a word also without its first
//     letter when it is a Hebrew prefix (ה ו ב ל מ ש כ), or without an
//     Arabic article (ال, وال, بال, …);
//   - level 2: matchPrefixes, the same with a word also without two prefix
//     letters;
//   - level 3: matchSimilar, its names are close to the query (pg_trgm word
//     similarity of the search keys: a typo or two).
const (
	matchSKU = iota
	matchName
	matchWords
	matchPrefix
	matchPrefixes
	matchSimilar
)

// tierShift places the tier above the item id in a cursor key.
const tierShift = 40

// level groups the tiers whose hits are shown together.
func level(tier int) int { return max(tier-matchWords, 0) }

// SearchKey is text in the form catalog search compares it, the Go twin of
// the SQL function catalog_search_key (migrations/00102_catalog_search.sql):
// lower case; no niqqud, tashkeel, tatweel or invisible direction marks;
// Hebrew final letters as the plain ones; Arabic alef forms as ا, ة as ه, ى
// as ي, Arabic-Indic digits as 0–9; a quote inside a word dropped (מק"ט is
// מקט); words of letters and digits separated by one space; and inside a
// Hebrew word ו and י dropped (כיסא is כסא), the first letter kept.
func SearchKey(s string) string {
	words := searchWords(s)
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = dropMatres(w)
	}
	return strings.Join(out, " ")
}

// SKUKey is an item code in the form search compares it: its search key
// without spaces (MED-001, med 001 and MED001 are all med001), the Go twin
// of catalog_sku_key.
func SKUKey(s string) string { return strings.ReplaceAll(SearchKey(s), " ", "") }

// searchWords is s folded as SearchKey folds it and cut into words, with ו
// and י still in them.
func searchWords(s string) [][]rune {
	folded := make([]rune, 0, len(s))
	for _, r := range s {
		r = unicode.ToLower(r)
		if !isSearchMark(r) {
			folded = append(folded, foldLetter(r))
		}
	}
	var words [][]rune
	var word []rune
	for i := 0; i < len(folded); i++ {
		r := folded[i]
		if isWordRune(r) {
			word = append(word, r)
			continue
		}
		if isQuote(r) && len(word) > 0 {
			j := i
			for j < len(folded) && isQuote(folded[j]) {
				j++
			}
			if j < len(folded) && isWordRune(folded[j]) {
				i = j - 1
				continue
			}
		}
		if len(word) > 0 {
			words = append(words, word)
			word = nil
		}
	}
	if len(word) > 0 {
		words = append(words, word)
	}
	return words
}

// isSearchMark reports whether r is dropped from a search key: a Hebrew
// point or cantillation mark, an Arabic vowel sign or tatweel, a zero-width
// or direction mark.
func isSearchMark(r rune) bool {
	switch {
	case r >= 0x0591 && r <= 0x05BD, r == 0x05BF, r == 0x05C1, r == 0x05C2, r == 0x05C4, r == 0x05C5, r == 0x05C7:
		return true
	case r >= 0x0610 && r <= 0x061A, r == 0x0640, r >= 0x064B && r <= 0x065F, r == 0x0670:
		return true
	case r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0xFEFF:
		return true
	}
	return false
}

// letterFolds are the letters a search key writes as another.
var letterFolds = map[rune]rune{
	'ך': 'כ', 'ם': 'מ', 'ן': 'נ', 'ף': 'פ', 'ץ': 'צ',
	'أ': 'ا', 'إ': 'ا', 'آ': 'ا', 'ٱ': 'ا', 'ة': 'ه', 'ى': 'ي',
}

func foldLetter(r rune) rune {
	switch {
	case r >= '٠' && r <= '٩':
		return '0' + r - '٠'
	case r >= '۰' && r <= '۹':
		return '0' + r - '۰'
	}
	if f, ok := letterFolds[r]; ok {
		return f
	}
	return r
}

// isWordRune reports whether r belongs to a word of a search key: a digit,
// a Latin letter, a Hebrew letter or an Arabic letter.
func isWordRune(r rune) bool {
	switch {
	case r >= '0' && r <= '9', r >= 'a' && r <= 'z':
		return true
	case r >= 0x00DF && r <= 0x00F6, r >= 0x00F8 && r <= 0x024F:
		return true
	case r >= 0x05D0 && r <= 0x05EA:
		return true
	case r >= 0x0620 && r <= 0x064A, r >= 0x066E && r <= 0x06D3, r == 0x06D5:
		return true
	}
	return false
}

// isQuote reports whether r is a quote that a search key drops inside a
// word (gershayim, geresh and their typewriter and typographic stand-ins).
func isQuote(r rune) bool { return strings.ContainsRune("\"'`\u05F3\u05F4\u2018\u2019\u201C\u201D", r) }

// dropMatres is w without the ו and י after its first letter.
func dropMatres(w []rune) string {
	var b strings.Builder
	for i, r := range w {
		if i > 0 && (r == 'ו' || r == 'י') {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hebrewPrefixes are the letters that stand before a Hebrew word (the, and,
// in, to, from, that, as).
const hebrewPrefixes = "הובלמשכ"

// arabicArticles are the definite article with the particles written
// before it, longest first.
var arabicArticles = [][]rune{[]rune("وال"), []rune("بال"), []rune("كال"), []rune("فال"), []rune("لل"), []rune("ال")}

// minStem is the fewest letters a word keeps when search takes an ending or
// a prefix off it.
const minStem = 3

// searchPlan is a query made ready for the store: the item code, the text
// as typed, and for each word of it its forms in search-key form.
type searchPlan struct {
	sku   string // SKUKey of the query; "" when too short or without a Latin letter or digit to be a code
	typed string // the query as typed, trimmed
	// forms[tier][i] are the forms word i may take in the tiers matchWords,
	// matchPrefix and matchPrefixes: the word and the word without a
	// plural ending, then also without one prefix letter or an article,
	// then also without two prefix letters.
	forms   [3][][]string
	similar string // SearchKey of the query; "" when too short to compare
}

// planSearch reads q. Words of one letter are left to the typed match.
func planSearch(q string) searchPlan {
	p := searchPlan{typed: strings.TrimSpace(q), similar: SearchKey(q)}
	if k := SKUKey(q); len([]rune(k)) >= 2 && strings.ContainsFunc(k, isASCIIAlnum) {
		p.sku = k
	}
	if len([]rune(strings.ReplaceAll(p.similar, " ", ""))) < 4 {
		p.similar = ""
	}
	for _, w := range searchWords(q) {
		if len(w) < 2 {
			continue
		}
		forms := withoutPlural(w)
		p.forms[0] = append(p.forms[0], keysOf(forms))
		one, two := withoutPrefix(w)
		for _, stem := range one {
			forms = append(forms, withoutPlural(stem)...)
		}
		p.forms[1] = append(p.forms[1], keysOf(forms))
		if two != nil {
			forms = append(forms, withoutPlural(two)...)
		}
		p.forms[2] = append(p.forms[2], keysOf(forms))
	}
	return p
}

// isASCIIAlnum reports whether r is a Latin letter or a digit, which every
// item code has.
func isASCIIAlnum(r rune) bool { return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' }

// withoutPlural is w and, when it ends in a plural ending and keeps
// minStem letters without it, w without the ending.
func withoutPlural(w []rune) [][]rune {
	out := [][]rune{w}
	n := len(w)
	switch {
	case n >= minStem+2 && (string(w[n-2:]) == "ימ" || string(w[n-2:]) == "ות"):
		out = append(out, w[:n-2])
	case n >= minStem+2 && string(w[n-2:]) == "es":
		out = append(out, w[:n-2], w[:n-1])
	case n >= minStem+1 && w[n-1] == 's' && w[n-2] != 's':
		out = append(out, w[:n-1])
	}
	return out
}

// withoutPrefix is w without its first letter when that is a Hebrew
// prefix, or without an Arabic article (one), and w without two Hebrew
// prefix letters (two), where minStem letters remain; nil for none.
func withoutPrefix(w []rune) (one [][]rune, two []rune) {
	if len(w) >= minStem+1 && strings.ContainsRune(hebrewPrefixes, w[0]) {
		one = append(one, w[1:])
		if len(w) >= minStem+2 && strings.ContainsRune(hebrewPrefixes, w[1]) {
			two = w[2:]
		}
	}
	for _, a := range arabicArticles {
		if len(w) >= len(a)+minStem && slices.Equal(w[:len(a)], a) {
			one = append(one, w[len(a):])
			break
		}
	}
	return one, two
}

// keysOf is the distinct search keys of forms, in order.
func keysOf(forms [][]rune) []string {
	var out []string
	for _, f := range forms {
		if k := dropMatres(f); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// nameIn is he, or ar or en when lang asks for it and it is given: the Go
// twin of the SQL function name_in.
func nameIn(lang, he string, ar, en *string) string {
	switch {
	case lang == "ar" && ar != nil && *ar != "":
		return *ar
	case lang == "en" && en != nil && *en != "":
		return *en
	}
	return he
}
