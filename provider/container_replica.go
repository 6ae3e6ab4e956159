package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"

	"github.com/rehearse/rehearse/internal/dbconn"
)

// The container standby: a second container of the same image on a Docker
// network created for the pair, which takes a base backup of the primary by
// its network alias and then runs as a hot standby streaming through
// StandbySlot. The host reaches both servers only through ports published
// on 127.0.0.1 (or the remote engine's host); the standby reaches the
// primary container to container.

// RoleLabel is the Docker label saying which server of an instance a
// container runs: "primary" or "standby".
const RoleLabel = "org.rehearse.role"

const (
	// primaryAlias is the primary's host name on the pair's network.
	primaryAlias = "primary"
	// hbaScriptPath is run by the image's entrypoint on the primary's
	// first start (the official image and the test image both honour it).
	hbaScriptPath = "/docker-entrypoint-initdb.d/rehearse-replication.sh"
)

// hbaScript lets replication connections from the network in, with the
// same authentication as the image's `host all all all` line, which does
// not match them. The file is not executable so that the official
// entrypoint sources it, where POSTGRES_HOST_AUTH_METHOD holds the method
// it chose.
const hbaScript = `# Written by rehearse: the standby's pg_basebackup and WAL stream come from another container.
printf '\nhost replication all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >>"$PGDATA/pg_hba.conf"
`

// standbyScript runs as the postgres user in the standby container: a base
// backup of the primary into a fresh data directory (0700, as the server
// requires; the image's $PGDATA itself may be a world-writable volume), with
// standby.signal and primary_conninfo (-R) and the slot, then the server on
// it with the arguments ("-c key=value"). PGPASSWORD and PGAPPNAME come from
// the environment and end up in primary_conninfo.
const standbyScript = `set -eu
dir="${PGDATA:-/var/lib/postgresql/data}/standby"
mkdir -p "$dir"
chmod 0700 "$dir"
echo "rehearse: pg_basebackup from ` + primaryAlias + `"
pg_basebackup -h ` + primaryAlias + ` -p 5432 -U "$REHEARSE_USER" -D "$dir" --write-recovery-conf \
	--wal-method=stream --checkpoint=fast --no-sync --create-slot --slot=` + StandbySlot + `
exec postgres -D "$dir" "$@"
`

// createNetwork creates the pair's network, labelled as the containers are.
func (b *box) createNetwork(ctx context.Context, c *Container) error {
	// As for containers: a create request cancelled in flight could leave a
	// network that appears after the cleanup has looked for it.
	createCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dockerCallTimeout)
	defer cancel()
	nw, err := tcnetwork.New(createCtx,
		tcnetwork.WithLabels(c.labels),
		tcnetwork.WithLabels(map[string]string{ContainerLabel: b.label}))
	if err != nil {
		return fmt.Errorf("create network for the standby: %w", err)
	}
	b.net = nw
	return ctx.Err()
}

// primaryReplicaCustomizers put the primary on the pair's network under
// primaryAlias and let replication connections in; none without a network.
func (b *box) primaryReplicaCustomizers() []testcontainers.ContainerCustomizer {
	if b.net == nil {
		return nil
	}
	return []testcontainers.ContainerCustomizer{
		tcnetwork.WithNetwork([]string{primaryAlias}, b.net),
		testcontainers.WithFiles(testcontainers.ContainerFile{
			Reader: strings.NewReader(hbaScript), ContainerFilePath: hbaScriptPath, FileMode: 0o644,
		}),
		testcontainers.WithLabels(map[string]string{RoleLabel: "primary"}),
	}
}

// startStandby starts the standby container and returns once the primary
// reports it streaming and it accepts connections on its published port.
// What it creates is b.standby's, for b.remove.
func (b *box) startStandby(ctx context.Context, ref, host string, settings map[string]string, c *Container, log io.Writer) error {
	fmt.Fprintf(log, "starting standby container %s\n", ref)
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(c.logger),
		testcontainers.WithNoStart(),
		tcnetwork.WithNetwork([]string{"standby"}, b.net),
		testcontainers.WithEnv(map[string]string{
			"REHEARSE_USER": containerUser, "PGPASSWORD": b.password,
			"PGAPPNAME": dbconn.Standby, "PGCONNECT_TIMEOUT": "10",
		}),
		// The official image's entrypoint would initialise a cluster of
		// its own; the script takes a base backup instead.
		testcontainers.WithEntrypoint("/bin/sh", "-c", standbyScript, "rehearse-standby"),
		testcontainers.WithCmd(serverCmd(containerStandbySettings(settings))[1:]...),
		testcontainers.WithConfigModifier(func(cfg *container.Config) {
			// PostgreSQL refuses root; the official image's entrypoint,
			// replaced here, would switch to this user itself.
			cfg.User = "postgres"
		}),
		testcontainers.WithExposedPorts("5432/tcp"),
		testcontainers.WithLabels(c.labels),
		testcontainers.WithLabels(map[string]string{ContainerLabel: b.label, RoleLabel: "standby"}),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.ShmSize = shmSize }),
	}
	if isLoopback(host) {
		opts = append(opts, testcontainers.WithHostConfigModifier(publishOnLoopback))
	}
	create := func(ctx context.Context) (*testcontainers.DockerContainer, error) {
		return testcontainers.Run(ctx, ref, opts...)
	}
	keep := func(ctr *testcontainers.DockerContainer) { b.standby = ctr }
	port, err := createAndStart(ctx, "standby container "+ref, create, keep)
	if err != nil {
		return err
	}
	b.standbyPort = port
	deadline := time.Now().Add(c.startTimeout)
	if err := b.waitStreaming(ctx, host, deadline); err != nil {
		return err
	}
	why := func() string { return containerLogTail(b.standby) }
	if err := waitAccepting(ctx, b.standbyDSN(host), deadline, why); err != nil {
		return fmt.Errorf("standby: %w", err)
	}
	fmt.Fprintf(log, "standby streaming on %s\n", net.JoinHostPort(host, strconv.Itoa(int(b.standbyPort))))
	return nil
}

// containerStandbySettings are the primary's settings (a hot standby needs
// max_connections and the like at least as high) plus what the standby
// needs, unless the scenario sets it.
func containerStandbySettings(primary map[string]string) map[string]string {
	out := standbySettings(primary)
	if _, ok := out["hot_standby"]; !ok {
		out["hot_standby"] = "on"
	}
	return out
}

func (b *box) standbyDSN(host string) string {
	hostPort := net.JoinHostPort(host, strconv.Itoa(int(b.standbyPort)))
	return fmt.Sprintf("postgres://%s:%s@%s/postgres?sslmode=disable", containerUser, b.password, hostPort)
}

// waitStreaming polls the primary, over its published port, until the
// standby's walsender streams through the slot, the standby container
// exits (a failed base backup, say), or deadline passes.
func (b *box) waitStreaming(ctx context.Context, host string, deadline time.Time) error {
	conn, err := pgx.Connect(ctx, b.dsn(host))
	if err != nil {
		return fmt.Errorf("standby: connect to primary: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for {
		state, err := standbyState(ctx, conn)
		switch {
		case err != nil:
			return err
		case state == "streaming":
			return nil
		}
		if st, err := b.standby.State(ctx); err == nil && !st.Running {
			return fmt.Errorf("standby container exited (code %d)%s", st.ExitCode, containerLogTail(b.standby))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("standby did not stream within the start timeout (state %q)%s", state, containerLogTail(b.standby))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// labelledNetworks lists the IDs of this instance's networks.
func (b *box) labelledNetworks(ctx context.Context) ([]string, error) {
	res, err := b.engine.NetworkList(ctx, client.NetworkListOptions{
		Filters: client.Filters{}.Add("label", ContainerLabel+"="+b.label),
	})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	ids := make([]string, 0, len(res.Items))
	for _, n := range res.Items {
		ids = append(ids, n.ID)
	}
	return ids, nil
}

// removeNetworks removes this instance's networks, found by label (so that
// one whose creation returned no handle goes too); call it once the
// containers are gone.
func (b *box) removeNetworks(ctx context.Context) error {
	var errs []error
	if b.net != nil {
		// Remove also ends the network's hold on Ryuk, when Ryuk runs.
		if err := b.net.Remove(ctx); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove network: %w", err))
		}
	}
	ids, err := b.labelledNetworks(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, id := range ids {
		if _, err := b.engine.NetworkRemove(ctx, id, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove network %s: %w", shortID(id), err))
		}
	}
	return errors.Join(errs...)
}
