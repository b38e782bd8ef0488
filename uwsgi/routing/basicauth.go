package routing

import (
	"bufio"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// authorized checks the request's Basic credentials against creds:
// "user:password", "user:" (any password), "" (nobody), or the path of an
// htpasswd file whose entries are bcrypt ($2y$...), {SHA} or plain text.
func authorized(req Request, creds string) bool {
	user, pass, ok := basicCredentials(req.Var("HTTP_AUTHORIZATION"))
	if !ok || creds == "" {
		return false
	}
	if u, p, isPair := strings.Cut(creds, ":"); isPair && !strings.HasPrefix(creds, "/") {
		return u == user && (p == "" || subtle.ConstantTimeCompare([]byte(p), []byte(pass)) == 1)
	}
	f, err := os.Open(creds)
	if err != nil {
		req.Log("basicauth: cannot read " + creds + ": " + err.Error())
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		u, hash, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if ok && u == user {
			return checkHash(hash, pass)
		}
	}
	return false
}

func basicCredentials(h []byte) (user, pass string, ok bool) {
	s, found := strings.CutPrefix(string(h), "Basic ")
	if !found {
		return "", "", false
	}
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(dec), ":")
}

func checkHash(hash, pass string) bool {
	switch {
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pass)) == nil
	case strings.HasPrefix(hash, "{SHA}"):
		sum := sha1.Sum([]byte(pass))
		want := base64.StdEncoding.EncodeToString(sum[:])
		return subtle.ConstantTimeCompare([]byte(hash[5:]), []byte(want)) == 1
	case strings.HasPrefix(hash, "$"):
		return false // other crypt(3) schemes ($1$, $5$, $6$) are not supported
	}
	return subtle.ConstantTimeCompare([]byte(hash), []byte(pass)) == 1
}
