package accounts

import (
	_ "embed"
	"strings"
	"sync"
	"unicode/utf8"

	"madaf/internal/apperr"
)

// The length of a password in characters (NIST SP 800-63B: at least 12
// where the service asks for it, and long passphrases welcome).
const (
	minPasswordLen = 12
	maxPasswordLen = 1024
)

// commonPasswordList is the bundled list of common breached passwords: one
// a line, lower-cased, lines starting with # aside.
//
//go:embed common_passwords.txt
var commonPasswordList string

// commonPasswords is commonPasswordList as a set, read at its first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 10000)
	for line := range strings.SplitSeq(commonPasswordList, "\n") {
		if line = strings.TrimRight(line, "\r"); line != "" && !strings.HasPrefix(line, "#") {
			set[line] = struct{}{}
		}
	}
	return set
})

// hebrewKeys maps what the Hebrew keyboard layout (SI 1452) writes to the
// Latin key under it: "qwerty" typed with the Hebrew layout on is
// "/'קראט", and is as common a password.
var hebrewKeys = strings.NewReplacer(
	"/", "q", "'", "w", "ק", "e", "ר", "r", "א", "t", "ט", "y", "ו", "u", "ן", "i", "ם", "o", "פ", "p",
	"ש", "a", "ד", "s", "ג", "d", "כ", "f", "ע", "g", "י", "h", "ח", "j", "ל", "k", "ך", "l", "ף", ";", ",", "'",
	"ז", "z", "ס", "x", "ב", "c", "ה", "v", "נ", "b", "מ", "n", "צ", "m", "ת", ",", "ץ", ".", ".", "/",
)

// isCommonPassword reports whether password, in any case, or as the keys
// it was typed on with the Hebrew layout, is in the bundled list.
func isCommonPassword(password string) bool {
	lower := strings.ToLower(password)
	set := commonPasswords()
	if _, ok := set[lower]; ok {
		return true
	}
	if strings.ContainsFunc(lower, func(r rune) bool { return r >= 'א' && r <= 'ת' }) {
		if _, ok := set[hebrewKeys.Replace(lower)]; ok {
			return true
		}
	}
	return false
}

// passwordFaults returns why password cannot be the new password of the
// user with e-mail email, as field errors of field: too short or too long,
// one of the most common breached passwords, or built on the e-mail
// address. None when it is fine.
func passwordFaults(field, password, email string) []apperr.FieldError {
	n := utf8.RuneCountInString(password)
	switch {
	case n < minPasswordLen:
		return []apperr.FieldError{apperr.Field(field, "password.too_short", minPasswordLen)}
	case n > maxPasswordLen:
		return []apperr.FieldError{apperr.Field(field, "password.too_long", maxPasswordLen)}
	case isCommonPassword(password):
		return []apperr.FieldError{apperr.Field(field, "password.common")}
	}
	local, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(email)), "@")
	if len(local) >= 4 && strings.Contains(strings.ToLower(password), local) {
		return []apperr.FieldError{apperr.Field(field, "password.has_email")}
	}
	return nil
}
