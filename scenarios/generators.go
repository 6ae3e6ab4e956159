package scenarios

// GenInfo documents one generator name usable as `gen:` in a ValueSpec. The
// datagen package implements them; this list is the contract.
type GenInfo struct {
	// Doc says what the generator produces, in a few words.
	Doc string
	// Range is set when the generator takes min and max.
	Range bool
	// Dates is set when the generator takes from and to.
	Dates bool
}

// Generators lists every known generator by name. It must not be modified.
var Generators = map[string]GenInfo{
	"sequential": {Doc: "1, 2, 3, ... in row order (keys)"},
	"number":     {Doc: "a uniform number in [min, max]", Range: true},
	"price":      {Doc: "a price with two decimals in [min, max]", Range: true},
	"date":       {Doc: "a timestamp between from and to", Dates: true},
	"bool":       {Doc: "true or false"},

	// gofakeit functions, named by their lower-case Go name.
	"name":        {Doc: "a full name"},
	"firstname":   {Doc: "a first name"},
	"lastname":    {Doc: "a last name"},
	"email":       {Doc: "an email address"},
	"username":    {Doc: "a user name"},
	"phone":       {Doc: "a phone number"},
	"company":     {Doc: "a company name"},
	"jobtitle":    {Doc: "a job title"},
	"productname": {Doc: "a product name"},
	"street":      {Doc: "a street address"},
	"city":        {Doc: "a city"},
	"state":       {Doc: "a state"},
	"zip":         {Doc: "a postal code"},
	"country":     {Doc: "a country"},
	"color":       {Doc: "a color name"},
	"uuid":        {Doc: "a random UUID (version 4)"},
	"url":         {Doc: "a URL"},
	"ipv4address": {Doc: "an IPv4 address"},
	"word":        {Doc: "one word"},
	"sentence":    {Doc: "a sentence"},
	"paragraph":   {Doc: "a paragraph"},

	"gender":          {Doc: "a gender"},
	"countryabr":      {Doc: "a country code (two letters)"},
	"domainname":      {Doc: "a domain name"},
	"useragent":       {Doc: "a browser user agent"},
	"hexcolor":        {Doc: "a hex color such as #a1b2c3"},
	"currencyshort":   {Doc: "a currency code such as USD"},
	"productcategory": {Doc: "a product category"},
	"ipv6address":     {Doc: "an IPv6 address"},
}

// GeneratorNames are the keys of Generators, sorted. It must not be modified.
var GeneratorNames = []string{
	"bool", "city", "color", "company", "country", "countryabr", "currencyshort",
	"date", "domainname", "email", "firstname", "gender", "hexcolor", "ipv4address",
	"ipv6address", "jobtitle", "lastname", "name", "number", "paragraph", "phone",
	"price", "productcategory", "productname", "sentence", "sequential", "state",
	"street", "url", "useragent", "username", "uuid", "word", "zip",
}

// KnownGenerator reports whether name is a generator of Generators.
func KnownGenerator(name string) bool {
	_, ok := Generators[name]
	return ok
}
