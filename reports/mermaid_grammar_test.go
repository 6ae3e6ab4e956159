package reports

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/rehearse/rehearse/internal/human"
)

// checkXYChart validates a Mermaid xychart-beta block against the grammar
// Mermaid documents and implements (its xychart.jison): no Mermaid parser
// runs offline here, so this is the check the tests can make. It accepts
// the subset the reports emit, and is stricter than Mermaid in two ways:
// every text is quoted (an unquoted word like "line" or "title" would be
// lexed as a keyword), and every series must have one value per x-axis
// category and stay inside the y-axis range (Mermaid would silently clip).
//
// Grammar (statements one per line):
//
//	%%{init: JSON}%%                      directive, before the chart
//	xychart-beta [vertical|horizontal]
//	title TEXT
//	x-axis [TEXT] ( "[" TEXT ("," TEXT)* "]" | NUM "-->" NUM )
//	y-axis [TEXT] [NUM "-->" NUM]
//	line [TEXT] "[" NUM ("," NUM)* "]"
//	bar  [TEXT] "[" NUM ("," NUM)* "]"
//
// where TEXT is "..." without a double quote or newline and NUM matches
// [+-]?(\d+(\.\d+)?|\.\d+) (no exponent).
func checkXYChart(block string) error {
	lines := strings.Split(strings.TrimRight(block, "\n"), "\n")
	var (
		header               bool
		categories           []string
		yLo, yHi             float64
		yRange, xSeen, ySeen bool
		series               [][]float64
		title                bool
	)
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		where := fmt.Sprintf("line %d %q", i+1, human.Clip(line, 60))
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "%%{"):
			if header {
				return fmt.Errorf("%s: directive after the chart type", where)
			}
			if err := checkDirective(line); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			continue
		case strings.HasPrefix(line, "%%"):
			continue // comment
		}
		if !header {
			if line != "xychart-beta" && line != "xychart-beta vertical" && line != "xychart-beta horizontal" {
				return fmt.Errorf("%s: want xychart-beta first", where)
			}
			header = true
			continue
		}
		keyword, rest, _ := strings.Cut(line, " ")
		toks, err := lexXY(rest)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		switch keyword {
		case "title":
			if len(toks) != 1 || toks[0].kind != tokText {
				return fmt.Errorf("%s: title takes one quoted text", where)
			}
			title = true
		case "x-axis":
			if xSeen {
				return fmt.Errorf("%s: second x-axis", where)
			}
			xSeen = true
			toks = skipText(toks)
			switch {
			case len(toks) >= 2 && toks[0].kind == tokOpen:
				texts, rest, err := list(toks, tokText)
				if err != nil || len(rest) != 0 {
					return fmt.Errorf("%s: x-axis categories: want [\"a\", \"b\", ...]", where)
				}
				seen := map[string]bool{}
				for _, t := range texts {
					if seen[t.text] {
						return fmt.Errorf("%s: category %q twice (a band scale merges them)", where, t.text)
					}
					seen[t.text] = true
					categories = append(categories, t.text)
				}
			case len(toks) == 3 && toks[0].kind == tokNum && toks[1].kind == tokArrow && toks[2].kind == tokNum:
			default:
				return fmt.Errorf("%s: x-axis wants categories or a range", where)
			}
		case "y-axis":
			if ySeen {
				return fmt.Errorf("%s: second y-axis", where)
			}
			ySeen = true
			toks = skipText(toks)
			switch {
			case len(toks) == 0:
			case len(toks) == 3 && toks[0].kind == tokNum && toks[1].kind == tokArrow && toks[2].kind == tokNum:
				yLo, yHi, yRange = toks[0].num, toks[2].num, true
				if yLo >= yHi {
					return fmt.Errorf("%s: empty y range", where)
				}
			default:
				return fmt.Errorf("%s: y-axis wants [TEXT] [MIN --> MAX]", where)
			}
		case "line", "bar":
			toks = skipText(toks)
			nums, rest, err := list(toks, tokNum)
			if err != nil || len(rest) != 0 {
				return fmt.Errorf("%s: %s wants [numbers]", where, keyword)
			}
			vs := make([]float64, len(nums))
			for i, n := range nums {
				vs[i] = n.num
				if yRange && (n.num < yLo || n.num > yHi) {
					return fmt.Errorf("%s: value %v outside the y range %v..%v", where, n.num, yLo, yHi)
				}
			}
			series = append(series, vs)
		default:
			return fmt.Errorf("%s: unknown statement %q", where, keyword)
		}
	}
	switch {
	case !header:
		return fmt.Errorf("no xychart-beta line")
	case !title:
		return fmt.Errorf("no title")
	case len(series) == 0:
		return fmt.Errorf("no data series")
	}
	for _, s := range series {
		if categories != nil && len(s) != len(categories) {
			return fmt.Errorf("a series has %d values for %d categories", len(s), len(categories))
		}
	}
	return nil
}

func checkDirective(line string) error {
	if !strings.HasPrefix(line, "%%{init:") || !strings.HasSuffix(line, "}%%") {
		return fmt.Errorf("want %%%%{init: {...}}%%%%")
	}
	body := strings.TrimSuffix(strings.TrimPrefix(line, "%%{init:"), "}%%")
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return fmt.Errorf("directive is not a JSON object: %w", err)
	}
	return nil
}

type tokKind int

const (
	tokText tokKind = iota
	tokNum
	tokOpen
	tokClose
	tokComma
	tokArrow
)

type xyTok struct {
	kind tokKind
	text string
	num  float64
}

var numRE = regexp.MustCompile(`^[+-]?(?:\d+(?:\.\d+)?|\.\d+)`)

func lexXY(s string) ([]xyTok, error) {
	var toks []xyTok
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		switch {
		case s[0] == '"':
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated string")
			}
			toks = append(toks, xyTok{kind: tokText, text: s[1 : end+1]})
			s = s[end+2:]
		case s[0] == '[':
			toks, s = append(toks, xyTok{kind: tokOpen}), s[1:]
		case s[0] == ']':
			toks, s = append(toks, xyTok{kind: tokClose}), s[1:]
		case s[0] == ',':
			toks, s = append(toks, xyTok{kind: tokComma}), s[1:]
		case strings.HasPrefix(s, "-->"):
			toks, s = append(toks, xyTok{kind: tokArrow}), s[3:]
		default:
			m := numRE.FindString(s)
			if m == "" {
				return nil, fmt.Errorf("unexpected %q (texts must be quoted)", human.Clip(s, 20))
			}
			v, err := strconv.ParseFloat(m, 64)
			if err != nil {
				return nil, err
			}
			toks, s = append(toks, xyTok{kind: tokNum, num: v}), s[len(m):]
			if s != "" && !strings.ContainsRune(" ,]", rune(s[0])) && !strings.HasPrefix(s, "-->") {
				return nil, fmt.Errorf("number followed by %q", human.Clip(s, 10))
			}
		}
	}
	return toks, nil
}

func skipText(toks []xyTok) []xyTok {
	if len(toks) > 0 && toks[0].kind == tokText {
		return toks[1:]
	}
	return toks
}

// list reads "[" item ("," item)* "]" and returns the items and what follows.
func list(toks []xyTok, item tokKind) ([]xyTok, []xyTok, error) {
	if len(toks) == 0 || toks[0].kind != tokOpen {
		return nil, nil, fmt.Errorf("want [")
	}
	var items []xyTok
	toks = toks[1:]
	for {
		if len(toks) == 0 || toks[0].kind != item {
			return nil, nil, fmt.Errorf("want an item")
		}
		items = append(items, toks[0])
		toks = toks[1:]
		if len(toks) == 0 {
			return nil, nil, fmt.Errorf("want ]")
		}
		switch toks[0].kind {
		case tokComma:
			toks = toks[1:]
		case tokClose:
			return items, toks[1:], nil
		default:
			return nil, nil, fmt.Errorf("want , or ]")
		}
	}
}

// mermaidBlocks returns the bodies of the ```mermaid fences of a Markdown text.
func mermaidBlocks(md string) []string {
	var blocks []string
	for {
		i := strings.Index(md, "```mermaid\n")
		if i < 0 {
			return blocks
		}
		md = md[i+len("```mermaid\n"):]
		j := strings.Index(md, "```")
		if j < 0 {
			blocks = append(blocks, md)
			return blocks
		}
		blocks = append(blocks, md[:j])
		md = md[j+3:]
	}
}
