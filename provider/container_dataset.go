package provider

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
)

// The container provider's dataset cache: a loaded dataset is committed into
// an image layer (FROM the server's image, the data directory at
// datasetPGDATA), and a cached run starts a container of that image. The
// cache entry's data directory holds only datasetImageFile, naming the image.
//
// docker commit leaves out volumes, and the official image declares its
// PGDATA one, so the data directory is copied out of the stopped container
// (docker cp, which reads volumes) into a fresh container of the same image
// at a path no image declares, and that container is committed.

const (
	// DatasetRepo is the repository of the dataset images: rehearse-dataset:TAG.
	DatasetRepo = "rehearse-dataset"
	// DatasetLabel is carried by every dataset image; its value is the image
	// the dataset was loaded on.
	DatasetLabel = "org.rehearse.dataset"
	// datasetRoot is where a dataset image keeps its data directory: outside
	// every path an image declares as a volume, so that it is in the layer.
	datasetRoot      = "/rehearse-dataset"
	datasetPGDATA    = datasetRoot + "/pgdata"
	datasetImageFile = "image.json"
	defaultPGDATA    = "/var/lib/postgresql/data"
)

// ErrDatasetImageGone is returned by StartFrom when the Docker engine no
// longer has the image a cache entry names (docker image prune -a, say).
var ErrDatasetImageGone = errors.New("the dataset image is gone from the Docker engine")

// ErrDatasetImageInUse is returned by RemoveDatasetImage when a container
// (a running rehearsal's) still uses the image.
var ErrDatasetImageInUse = errors.New("a container uses the dataset image")

// datasetImage is what a cache entry knows of its image.
type datasetImage struct {
	ID  string `json:"id"`
	Tag string `json:"tag"`
	// Base is the image the dataset was loaded on; a standby runs it.
	Base string `json:"base"`
	// SizeBytes is the dataset's layer: the image's size less the base's.
	SizeBytes int64 `json:"size_bytes"`
}

var _ Templater = (*Container)(nil)

// ServerVersion names the image Start would run for cfg by its ID (the
// binaries it holds), getting the image first if the engine lacks it. A
// container's server_version cannot be known without starting one; the ID
// serves the dataset cache's key better anyway.
func (c *Container) ServerVersion(ctx context.Context, cfg Config) (string, error) {
	ref, err := ImageFor(c.image, cfg)
	if err != nil {
		return "", err
	}
	engine, err := DetectDocker(ctx, DefaultDetectTimeout)
	if err != nil {
		return "", unavailable{err}
	}
	if err := ensureImages(ctx, engine, ref, logWriter(cfg.Log)); err != nil {
		return "", err
	}
	inspectCtx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
	defer cancel()
	img, err := engine.ImageInspect(inspectCtx, ref)
	if err != nil {
		return "", fmt.Errorf("inspect image %s: %w", ref, err)
	}
	return "image " + img.ID, nil
}

// StartFrom starts a container of the dataset image that Instance.Snapshot
// recorded in dataDir. How the container gets its data directory follows
// CloneModeEnv: on a block-level copy-on-write storage driver (btrfs, zfs)
// auto starts on the image layer itself, in constant time; on the others
// (overlay2, fuse-overlayfs, vfs) a file is copied up whole on its first
// write, inside the measured rehearsal, so auto copies the data into a
// volume as the container is created and says so; overlay starts on the
// layer anyway, copy always copies. The server gets a fresh password.
func (c *Container) StartFrom(ctx context.Context, cfg Config, dataDir string) (*Instance, error) {
	img, err := readDatasetImage(dataDir)
	if err != nil {
		return nil, err
	}
	engine, err := DetectDocker(ctx, DefaultDetectTimeout)
	if err != nil {
		return nil, unavailable{err}
	}
	inspectCtx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
	found, err := engine.ImageInspect(inspectCtx, img.Tag)
	cancel()
	switch {
	case cerrdefs.IsNotFound(err), err == nil && found.ID != img.ID:
		return nil, fmt.Errorf("%w: %s (removed or re-tagged outside rehearse)", ErrDatasetImageGone, img.Tag)
	case err != nil:
		return nil, fmt.Errorf("dataset image %s: %w", img.Tag, err)
	}
	thin, note, err := datasetCloneMode(ctx, engine)
	if err != nil {
		return nil, err
	}
	log := logWriter(cfg.Log)
	if note != "" {
		fmt.Fprintln(log, note)
	}
	return c.start(ctx, engine, cfg, img.Base, &datasetStart{image: img, thin: thin})
}

// datasetStart is how Start's container runs a dataset image.
type datasetStart struct {
	image datasetImage
	// thin starts on the image layer; else the data is copied into a volume.
	thin bool
}

// datasetCloneMode says whether a dataset container starts on the image
// layer (thin) or on a copy in a volume, and why it copies under auto.
func datasetCloneMode(ctx context.Context, engine *testcontainers.DockerClient) (thin bool, note string, err error) {
	infoCtx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
	info, err := engine.Info(infoCtx, client.InfoOptions{})
	cancel()
	if err != nil {
		return false, "", fmt.Errorf("docker info: %w", err)
	}
	driver := info.Info.Driver
	blockCoW := driver == "btrfs" || driver == "zfs"
	switch mode := os.Getenv(CloneModeEnv); mode {
	case "", "auto":
		if blockCoW {
			return true, "", nil
		}
		return false, fmt.Sprintf("full copy of the dataset image into a volume: the %s storage driver copies a whole file "+
			"(up to a 1 GB table segment) on its first write, which would land in the rehearsal "+
			"(%s=overlay starts on the image layer without the copy; the btrfs and zfs drivers copy blocks)", driver, CloneModeEnv), nil
	case cloneReflink:
		if !blockCoW {
			return false, "", fmt.Errorf("%s=reflink: the %s storage driver has no block-level copy-on-write (btrfs and zfs have)", CloneModeEnv, driver)
		}
		return true, "", nil
	case cloneOverlay:
		return true, "", nil
	case cloneCopy:
		return false, "", nil
	default:
		return false, "", fmt.Errorf("%s=%q: want auto, reflink, overlay or copy", CloneModeEnv, mode)
	}
}

// datasetCustomizers make a container of a dataset image: PGDATA is the
// image's data directory (or its copy in an anonymous volume, which Docker
// fills from the image when it creates the container), and the ready line
// comes once, there being no first initialisation.
func datasetCustomizers(ds *datasetStart, c *Container) []testcontainers.ContainerCustomizer {
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithEnv(map[string]string{"PGDATA": datasetPGDATA}),
		testcontainers.WithWaitStrategyAndDeadline(c.startTimeout, waitReady(1, c.startTimeout)),
	}
	if !ds.thin {
		opts = append(opts, testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeVolume, Target: datasetRoot})
		}))
	}
	return opts
}

// adoptDataset makes a server started on a dataset this instance's: a fresh
// password, and with a standby the replication line of pg_hba.conf that a
// dataset saved without one lacks. It goes through the container's Unix
// socket, where both images trust local connections.
func (b *box) adoptDataset(ctx context.Context, replica bool) error {
	sql := fmt.Sprintf("ALTER ROLE %s PASSWORD '%s'", containerUser, b.password)
	if replica {
		line := `printf '\nhost replication all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"`
		if err := b.exec(ctx, "/bin/sh", "-c", line); err != nil {
			return err
		}
		sql += "; SELECT pg_reload_conf()"
	}
	return b.exec(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", containerUser, "-d", "postgres", "-c", sql)
}

// exec runs cmd in the server container and returns its output on failure.
func (b *box) exec(ctx context.Context, cmd ...string) error {
	code, out, err := b.ctr.Exec(ctx, cmd, tcexec.Multiplexed())
	if err != nil {
		return fmt.Errorf("exec %s in the container: %w", cmd[0], err)
	}
	if code != 0 {
		msg, _ := io.ReadAll(out)
		return fmt.Errorf("exec %s in the container: exit status %d: %s", cmd[0], code, strings.TrimSpace(string(msg)))
	}
	return nil
}

// snapshot commits the server's data directory into a dataset image built
// FROM base and records it in dst (a directory it creates). The server is
// stopped cleanly for the copy and started again; its published port, and
// so inst.DSN, may change. It returns the dataset layer's size.
func (b *box) snapshot(ctx context.Context, inst *Instance, host, base, dst string) (int64, error) {
	id := b.ctr.GetContainerID()
	pgdata, err := b.pgdata(ctx, id)
	if err != nil {
		return 0, err
	}
	segSize := walSegmentSize(ctx, b.dsn(host))
	grace := int(containerStopGrace / time.Second)
	stopCtx, cancel := context.WithTimeout(ctx, containerStopGrace+dockerCallTimeout)
	_, err = b.engine.ContainerStop(stopCtx, id, client.ContainerStopOptions{Timeout: &grace})
	cancel()
	if err != nil {
		return 0, fmt.Errorf("stop the container for the snapshot: %w", err)
	}
	img, commitErr := b.commitDataset(ctx, id, pgdata, base, segSize)
	if err := b.restart(ctx, inst, host); err != nil {
		return 0, errors.Join(commitErr, err)
	}
	if commitErr != nil {
		return 0, commitErr
	}
	if err := writeDatasetImage(dst, img); err != nil {
		return 0, errors.Join(err, removeImage(ctx, b.engine, img.Tag))
	}
	return img.SizeBytes, nil
}

// pgdata is the data directory of container id: its PGDATA, else the
// official image's default.
func (b *box) pgdata(ctx context.Context, id string) (string, error) {
	inspectCtx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
	defer cancel()
	res, err := b.engine.ContainerInspect(inspectCtx, id, client.ContainerInspectOptions{})
	if err != nil {
		return "", fmt.Errorf("inspect the container: %w", err)
	}
	if res.Container.Config != nil {
		for _, kv := range res.Container.Config.Env {
			if v, ok := strings.CutPrefix(kv, "PGDATA="); ok && v != "" {
				return path.Clean(v), nil
			}
		}
	}
	return defaultPGDATA, nil
}

// restart starts the stopped server container again and waits until it
// accepts connections (and a standby streams from it again), updating
// inst.DSN to its published port.
func (b *box) restart(ctx context.Context, inst *Instance, host string) error {
	id := b.ctr.GetContainerID()
	startCtx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
	_, err := b.engine.ContainerStart(startCtx, id, client.ContainerStartOptions{})
	cancel()
	if err != nil {
		return fmt.Errorf("start the container again after the snapshot: %w", err)
	}
	port, err := b.ctr.MappedPort(ctx, "5432/tcp")
	if err != nil {
		return fmt.Errorf("published port after the snapshot: %w%s", err, b.logTail())
	}
	b.port = port.Num()
	inst.DSN = b.dsn(host)
	deadline := time.Now().Add(defaultStartTimeout)
	if err := waitAccepting(ctx, inst.DSN, deadline, b.logTail); err != nil {
		return err
	}
	if b.standby != nil {
		// The standby reconnects by itself; the rehearsal must not begin
		// with it behind.
		return b.waitStreaming(ctx, host, deadline)
	}
	return nil
}

// commitDataset copies pgdata out of the stopped container id into a fresh,
// never started container of base, at datasetPGDATA, and commits that.
func (b *box) commitDataset(ctx context.Context, id, pgdata, base string, segSize int64) (datasetImage, error) {
	img := datasetImage{Tag: DatasetRepo + ":" + randomHex(6), Base: base}
	src, err := b.engine.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: pgdata})
	if err != nil {
		return img, fmt.Errorf("copy %s out of the container: %w", pgdata, err)
	}
	defer src.Content.Close()
	// Labelled as the instance's containers are, so that Stop and Kill find
	// it if the commit is interrupted.
	createCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), containerCreateLimit)
	tmp, err := b.engine.ContainerCreate(createCtx, client.ContainerCreateOptions{
		Config: &container.Config{Image: base, Labels: map[string]string{ContainerLabel: b.label}},
	})
	cancel()
	if err != nil {
		return img, fmt.Errorf("create the dataset container: %w", err)
	}
	defer func() {
		rmCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), containerRemoveLimit)
		defer cancel()
		_, _ = b.engine.ContainerRemove(rmCtx, tmp.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}()
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(rebaseTar(src.Content, pw, strings.TrimPrefix(datasetPGDATA, "/"), &snapshotFilter{segSize: segSize}))
	}()
	_, err = b.engine.CopyToContainer(ctx, tmp.ID, client.CopyToContainerOptions{DestinationPath: "/", Content: pr})
	pr.CloseWithError(errors.New("copy ended"))
	if err != nil {
		return img, fmt.Errorf("copy the data directory into the dataset container: %w", err)
	}
	res, err := b.engine.ContainerCommit(ctx, tmp.ID, client.ContainerCommitOptions{
		Reference: img.Tag,
		Changes:   []string{"ENV PGDATA=" + datasetPGDATA, "LABEL " + DatasetLabel + "=" + strconv.Quote(base)},
	})
	if err != nil {
		return img, fmt.Errorf("commit the dataset image: %w", err)
	}
	img.ID = res.ID
	img.SizeBytes, err = b.layerSize(ctx, img.ID, base)
	if err != nil {
		return img, errors.Join(err, removeImage(ctx, b.engine, img.Tag))
	}
	return img, nil
}

// layerSize is the size of image less the size of base.
func (b *box) layerSize(ctx context.Context, image, base string) (int64, error) {
	var sizes [2]int64
	for i, ref := range []string{image, base} {
		inspectCtx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
		res, err := b.engine.ImageInspect(inspectCtx, ref)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("inspect image %s: %w", ref, err)
		}
		sizes[i] = res.Size
	}
	return sizes[0] - sizes[1], nil
}

// rebaseTar copies the tar stream of one directory (docker cp's: entries
// under the directory's base name) to w with that directory renamed to
// dst, its parent directories added with the directory's owner, and what
// f says left out.
func rebaseTar(r io.Reader, w io.Writer, dst string, f *snapshotFilter) error {
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	first := true
	var top string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read the data directory's archive: %w", err)
		}
		name := strings.TrimSuffix(hdr.Name, "/")
		if first {
			if hdr.Typeflag != tar.TypeDir {
				return fmt.Errorf("the data directory's archive starts with %q, not a directory", hdr.Name)
			}
			top, first = name, false
			if err := writeParents(tw, dst, hdr); err != nil {
				return err
			}
		}
		rel, ok := strings.CutPrefix(name, top)
		if !ok || (rel != "" && rel[0] != '/') {
			return fmt.Errorf("the data directory's archive holds %q, outside %s", hdr.Name, top)
		}
		rel = strings.TrimPrefix(rel, "/")
		if f.skip(rel) {
			continue
		}
		hdr.Name = path.Join(dst, rel)
		if hdr.Typeflag == tar.TypeDir {
			hdr.Name += "/"
		}
		if hdr.Typeflag == tar.TypeLink {
			hdr.Linkname = path.Join(dst, strings.TrimPrefix(strings.TrimPrefix(hdr.Linkname, top), "/"))
		}
		// Numeric owners: the host's names mean nothing in the image.
		hdr.Uname, hdr.Gname = "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		var body io.Reader = tr
		if rel == "global/pg_control" {
			data, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
			if err != nil {
				return err
			}
			f.control(data)
			body = bytes.NewReader(data)
		}
		if _, err := io.Copy(tw, body); err != nil {
			return err
		}
	}
	if first {
		return errors.New("the data directory's archive is empty")
	}
	return tw.Close()
}

// writeParents writes directory entries for dst's parents, owned as dir is.
func writeParents(tw *tar.Writer, dst string, dir *tar.Header) error {
	parts := strings.Split(dst, "/")
	for i := 1; i < len(parts); i++ {
		h := &tar.Header{Typeflag: tar.TypeDir, Name: strings.Join(parts[:i], "/") + "/", Mode: 0o755,
			Uid: dir.Uid, Gid: dir.Gid, ModTime: dir.ModTime}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
	}
	return nil
}

// snapshotFilter leaves out of a data directory's archive what
// skipInSnapshot leaves out of a local snapshot: replication slots (whose
// files come as entries of their own here), the pid and options files,
// and the WAL segments the last checkpoint does not need. The archive
// comes in lexical order, so global/pg_control, which names the segment
// to keep, comes before pg_wal/; until it has been read every segment is
// kept.
type snapshotFilter struct {
	// segSize is the server's wal_segment_size; 0 keeps every segment.
	segSize int64
	// keep is the segment of the last checkpoint's redo record.
	keep string
}

func (f *snapshotFilter) skip(rel string) bool {
	dir, name := path.Split(rel)
	switch {
	case skipInSnapshot(rel, ""), strings.HasPrefix(rel, "pg_replslot/"):
		return true
	case dir == "pg_wal/" && f.keep != "" && isWALSegment(name):
		return name != f.keep
	}
	return false
}

// control reads pg_control: the cluster state and, once shut down, the
// redo record's timeline and location (offsets 16, 48 and 40, unchanged
// since PostgreSQL 10; little-endian, as on every platform Docker runs
// PostgreSQL images for).
func (f *snapshotFilter) control(data []byte) {
	const shutDown = 1 // DB_SHUTDOWNED
	if f.segSize <= 0 || len(data) < 52 || int32(binary.LittleEndian.Uint32(data[16:])) != shutDown {
		return
	}
	redo := binary.LittleEndian.Uint64(data[40:])
	timeline := binary.LittleEndian.Uint32(data[48:])
	f.keep = walFileName(timeline, redo, f.segSize)
}

// walFileName is PostgreSQL's XLogFileName: the segment holding lsn.
func walFileName(timeline uint32, lsn uint64, segSize int64) string {
	perID := uint64(0x100000000) / uint64(segSize)
	seg := lsn / uint64(segSize)
	return fmt.Sprintf("%08X%08X%08X", timeline, seg/perID, seg%perID)
}

// walSegmentSize is the server's wal_segment_size in bytes, 0 when it
// cannot say.
func walSegmentSize(ctx context.Context, dsn string) int64 {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, `SELECT setting::bigint FROM pg_settings
		WHERE name = 'wal_segment_size' AND unit = 'B'`).Scan(&n); err != nil {
		return 0
	}
	return n
}

func writeDatasetImage(dir string, img datasetImage) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("record the dataset image: %w", err)
	}
	raw, err := json.MarshalIndent(img, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, datasetImageFile), append(raw, '\n'), 0o600); err != nil {
		return fmt.Errorf("record the dataset image: %w", err)
	}
	return nil
}

func readDatasetImage(dir string) (datasetImage, error) {
	var img datasetImage
	raw, err := os.ReadFile(filepath.Join(dir, datasetImageFile))
	if errors.Is(err, os.ErrNotExist) {
		return img, fmt.Errorf("%s holds a data directory, not a dataset image: it was saved by the local provider", dir)
	}
	if err != nil {
		return img, err
	}
	if err := json.Unmarshal(raw, &img); err != nil || img.ID == "" {
		return img, fmt.Errorf("%s: not a dataset image record (%v)", filepath.Join(dir, datasetImageFile), err)
	}
	return img, nil
}

// DatasetImageTag returns the image a cache entry's data directory names
// ("" when it holds a data directory, as the local provider's entries do).
func DatasetImageTag(dataDir string) string {
	img, err := readDatasetImage(dataDir)
	if err != nil {
		return ""
	}
	return img.Tag
}

// RemoveDatasetImage removes a dataset image by its tag (DatasetImageTag),
// nil when tag is "" or the image is gone already, ErrDatasetImageInUse
// when a container uses it.
func RemoveDatasetImage(ctx context.Context, tag string) error {
	if tag == "" {
		return nil
	}
	engine, err := DetectDocker(ctx, DefaultDetectTimeout)
	if err != nil {
		return fmt.Errorf("remove dataset image %s: %w", tag, err)
	}
	if err := removeImage(ctx, engine, tag); err != nil {
		return fmt.Errorf("remove dataset image %s: %w", tag, err)
	}
	return nil
}

// removeImage removes an image without force: one a container (running or
// not) was created from stays, and ErrDatasetImageInUse says so.
func removeImage(ctx context.Context, engine *testcontainers.DockerClient, ref string) error {
	rmCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), containerRemoveLimit)
	defer cancel()
	_, err := engine.ImageRemove(rmCtx, ref, client.ImageRemoveOptions{})
	switch {
	case err == nil, cerrdefs.IsNotFound(err):
		return nil
	case cerrdefs.IsConflict(err):
		return fmt.Errorf("%w (%v)", ErrDatasetImageInUse, err)
	}
	return err
}
