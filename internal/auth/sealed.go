package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SecretKeySize is the length of a SecretKey: 32 bytes, for AES-256.
const SecretKeySize = 32

// DevelopmentSecretKey is the key, in MADAF_SECRET_KEY's form, that seals
// secrets in the development database and the tests. It is published, so
// what it seals is as good as plain: a service given another key reseals
// such values under its own (see SecretKey.Open).
const DevelopmentSecretKey = "bWFkYWYtZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="

// sealedPrefix starts a sealed value: then the base64url nonce and
// ciphertext. A TOTP secret is base32 (A–Z, 2–7) and never starts so.
const sealedPrefix = "v1:"

// ErrSealedElsewhere is what Open answers for a value sealed under a key
// that is neither its own nor the development key.
var ErrSealedElsewhere = errors.New("auth: the value is sealed under another key")

// SecretKey seals the secrets the service must read back (the TOTP
// secrets of second factors) before they are stored: AES-256-GCM with a
// random nonce, bound to the record the value belongs to, so that a sealed
// value copied to another record does not open there.
type SecretKey struct {
	aead cipher.AEAD
	// dev is the development key, which this key also opens with.
	dev *SecretKey
}

// ParseSecretKey reads a key as MADAF_SECRET_KEY holds it: SecretKeySize
// random bytes in base64 (standard or URL alphabet, padded or not), as
// `openssl rand -base64 32` writes them.
func ParseSecretKey(s string) (*SecretKey, error) {
	s = strings.TrimSpace(s)
	var raw []byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			raw = b
			break
		}
	}
	switch {
	case raw == nil:
		return nil, errors.New("is not base64 (make one with: openssl rand -base64 32)")
	case len(raw) != SecretKeySize:
		return nil, fmt.Errorf("is %d bytes, want %d (make one with: openssl rand -base64 32)", len(raw), SecretKeySize)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &SecretKey{aead: aead}
	if s != DevelopmentSecretKey {
		k.dev = DevelopmentKey()
	}
	return k, nil
}

// DevelopmentKey is DevelopmentSecretKey parsed.
func DevelopmentKey() *SecretKey {
	k, err := ParseSecretKey(DevelopmentSecretKey)
	if err != nil {
		panic("auth: the development secret key: " + err.Error())
	}
	return k
}

// IsDevelopment reports whether k is the published development key.
func (k *SecretKey) IsDevelopment() bool { return k.dev == nil }

// Seal returns plain sealed under k for record (a name of the column and
// row it is stored in, e.g. "users.totp_secret/42").
func (k *SecretKey) Seal(plain, record string) (string, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := k.aead.Seal(nonce, nonce, []byte(plain), []byte(record))
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Open returns the plain value of stored, a value of record as Seal
// returned it or, from before values were sealed, the plain value itself.
// Stale is true when stored should be sealed again under k: it was plain,
// or sealed under the development key. A value sealed under another key
// (or altered, or of another record) is ErrSealedElsewhere.
func (k *SecretKey) Open(stored, record string) (plain string, stale bool, err error) {
	body, sealed := strings.CutPrefix(stored, sealedPrefix)
	if !sealed {
		return stored, true, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < k.aead.NonceSize() {
		return "", false, ErrSealedElsewhere
	}
	if p, err := k.open(raw, record); err == nil {
		return p, false, nil
	}
	if k.dev != nil {
		if p, err := k.dev.open(raw, record); err == nil {
			return p, true, nil
		}
	}
	return "", false, ErrSealedElsewhere
}

func (k *SecretKey) open(raw []byte, record string) (string, error) {
	n := k.aead.NonceSize()
	p, err := k.aead.Open(nil, raw[:n], raw[n:], []byte(record))
	return string(p), err
}
