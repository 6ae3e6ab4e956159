package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

const argsSchema = `CREATE TABLE users (id bigint PRIMARY KEY, email text, status text, created_at timestamptz);
CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint REFERENCES users, total numeric, note text);
CREATE TABLE tokens (id uuid PRIMARY KEY, user_id bigint);`

// TestInferArgs binds the parameters of the statement shapes
// pg_stat_statements records; "?" marks a parameter left unbound.
func TestInferArgs(t *testing.T) {
	t.Parallel()
	cat, err := ParseSchema(argsSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ sql, want string }{
		{"SELECT * FROM users WHERE id = $1", "$1=users.id"},
		{"SELECT * FROM users WHERE $1 = id", "$1=users.id"},
		{"SELECT * FROM users WHERE id IN ($1, $2, $3)", "$1=users.id $2=users.id $3=users.id"},
		{"SELECT * FROM users WHERE id = ANY($1)", "$1=array of users.id"},
		{"SELECT * FROM users WHERE id = ANY($1::bigint[])", "$1=array of users.id"},
		{"SELECT * FROM orders WHERE total BETWEEN $1 AND $2", "$1=orders.total $2=orders.total"},
		{"SELECT * FROM users WHERE created_at >= $1 AND created_at < $2", "$1=users.created_at $2=users.created_at"},
		{"INSERT INTO orders (user_id, total) VALUES ($1, $2)", "$1=orders.user_id $2=orders.total"},
		{"INSERT INTO users VALUES ($1, $2, $3, $4)", "$1=new number $2=users.email $3=users.status $4=users.created_at"},
		{"INSERT INTO users (id, email) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET status = $3", "$1=users.id $2=users.email $3=users.status"},
		{"INSERT INTO tokens (id, user_id) VALUES ($1, $2)", "$1=new uuid $2=tokens.user_id"},
		{"UPDATE users SET email = $1, status = $2 WHERE id = $3", "$1=users.email $2=users.status $3=users.id"},
		{"UPDATE orders SET total = total + $1 WHERE id = $2", "$1=orders.total $2=orders.id"},
		{"DELETE FROM orders WHERE user_id = $1", "$1=orders.user_id"},
		{"SELECT o.total FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email = $1 AND o.note = $2", "$1=users.email $2=orders.note"},
		{"SELECT total FROM orders JOIN users ON users.id = orders.user_id WHERE status = $1", "$1=users.status"},
		{"SELECT * FROM users WHERE id = $1::bigint", "$1=users.id"},
		{"SELECT * FROM orders WHERE user_id = $1 ORDER BY id LIMIT $2 OFFSET $3", "$1=orders.user_id $2=value 10 $3=value 0"},
		{"SELECT * FROM users WHERE id IN (SELECT user_id FROM orders WHERE total > $1)", "$1=orders.total"},
		{"SELECT * FROM users WHERE lower(email) = $1", "$1=?"},
		{"SELECT $1, id FROM users", "$1=?"},
	} {
		bound, nums, err := inferArgs(tc.sql, cat)
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		var got []string
		for _, n := range nums {
			b, ok := bound[n]
			s := "?"
			if ok {
				s = b.String()
			}
			got = append(got, fmt.Sprintf("$%d=%s", n, s))
		}
		sort.Strings(got)
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.sql, g, tc.want)
		}
	}
}

func TestProfileQueryName(t *testing.T) {
	t.Parallel()
	eq(t, "select", profileQueryName(0, "SELECT * FROM users WHERE id = $1"), "select_users_1")
	eq(t, "schema", profileQueryName(4, "UPDATE app.Orders SET total = $1"), "update_app_orders_5")
	eq(t, "no table", profileQueryName(1, "SELECT $1"), "select_2")
}
