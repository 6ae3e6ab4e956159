package datagen

import (
	"github.com/brianvoe/gofakeit/v7"
	"github.com/brianvoe/gofakeit/v7/data"
)

// gofakeit's own functions look their word list up in nested maps on every
// call: that was 40% of the loader's CPU on a users table. The generators
// below draw from the same lists, read once. The lists are never written.
var (
	firstNames     = data.Person["first"]
	lastNames      = data.Person["last"]
	domainSuffixes = data.Internet["domain_suffix"]
	countryNames   = data.Address["country"]
	countryCodes   = data.Address["country_abr"]
	cityNames      = data.Address["city"]
	stateNames     = data.Address["state"]
)

func pick(f *gofakeit.Faker, list []string) string { return list[uniformN(f, uint64(len(list)))] }

func picker(list []string) func(*gofakeit.Faker) string {
	return func(f *gofakeit.Faker) string { return pick(f, list) }
}

func fastName(f *gofakeit.Faker) string { return pick(f, firstNames) + " " + pick(f, lastNames) }

// fastEmail makes an address from a first and a last name at a domain named
// after another last name, in one of the styles people use: annlee,
// ann.lee, alee, annl, ann_lee, ann-lee, sometimes with a number.
func fastEmail(f *gofakeit.Faker) string {
	first, last, domain, suffix := pick(f, firstNames), pick(f, lastNames), pick(f, lastNames), pick(f, domainSuffixes)
	b := make([]byte, 0, len(first)+len(last)+len(domain)+len(suffix)+6)
	mix := f.Uint64()
	style, number := mix%100, mix/100%100
	switch {
	case style < 38:
		b = appendLower(appendLower(b, first), last)
	case style < 66:
		b = appendLower(append(appendLower(b, first), '.'), last)
	case style < 80:
		b = appendLower(appendLower(b, first[:1]), last)
	case style < 88:
		b = appendLower(appendLower(b, first), last[:1])
	case style < 94:
		b = appendLower(append(appendLower(b, first), '_'), last)
	default:
		b = appendLower(append(appendLower(b, first), '-'), last)
	}
	if number < 10 {
		b = append(b, byte('0'+2+number%8))
	}
	b = append(appendLower(append(b, '@'), domain), '.')
	return string(append(b, suffix...))
}

func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}
