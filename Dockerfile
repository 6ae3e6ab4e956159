# An image with rehearse and the PostgreSQL server binaries, so that the
# local provider (initdb + pg_ctl in the container) and the dataset cache
# work in CI without Docker-in-Docker:
#
#   docker build -t rehearse --build-arg REHEARSE=dist/rehearse_linux_amd64/rehearse .
#   docker run --rm -v "$PWD:/work" -w /work rehearse scenario.yaml --provider local
#
# BASE is any image with the server under /usr/lib/postgresql/MAJOR/bin and
# a non-root postgres user: the official postgres image (default), or
# rehearse-test/postgres:MAJOR that internal/testimage/build.sh makes from
# the binaries installed on a machine (the release test builds it so: no
# registry needed). REHEARSE is a rehearse binary built for the image's
# platform (`make build`, or goreleaser's dist/); it links glibc (cgo), as
# the Debian-based postgres images have.
ARG BASE=postgres:17-bookworm
FROM ${BASE}
ARG REHEARSE=bin/rehearse
COPY ${REHEARSE} /usr/local/bin/rehearse
# The dataset cache lives in $HOME/.cache/rehearse: mount a volume there to
# keep it between runs.
ENV HOME=/var/lib/postgresql
USER postgres
WORKDIR /var/lib/postgresql
ENTRYPOINT ["/usr/local/bin/rehearse"]
CMD ["--help"]
