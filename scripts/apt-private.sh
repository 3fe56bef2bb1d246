# shellcheck shell=bash
# A private apt configuration under $BUILD/apt, for what the machine's own
# sources do not carry (Debian 13's source packages, bookworm-backports).
# The system's apt configuration is only read, never changed.  The mirror is
# the one the machine already uses for its own release: no host name is
# written into the project.

APT_DIR=$BUILD/apt

# The archive URI the machine uses for its own Debian release.
apt_mirror() {
    local codename uri
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
          awk -v c="$codename" '$2 == c { print $1; exit }')
    if [ -z "$uri" ]; then
        # No entry for the release itself: any archive whose path is /debian/.
        uri=$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null |
              grep -m1 '/debian/$' || true)
    fi
    [ -n "$uri" ] || die "cannot find a Debian mirror in the machine's apt sources"
    echo "$uri"
}

# apt_private_setup "TYPE SUITE" ...: write the private sources and update.
apt_private_setup() {
    local mirror entry type suite
    mirror=$(apt_mirror)
    mkdir -p "$APT_DIR/sources.list.d" "$APT_DIR/lists/partial" \
             "$APT_DIR/cache/archives/partial"
    : > "$APT_DIR/sources.list.d/private.sources"
    for entry in "$@"; do
        read -r type suite <<<"$entry"
        cat >> "$APT_DIR/sources.list.d/private.sources" <<EOS
Types: $type
URIs: $mirror
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

EOS
    done
    log "private apt sources: $* (mirror from the machine's apt configuration)"
    apt_private update -qq
}

apt_private() {
    apt-get -o Dir::Etc::SourceList=/dev/null \
            -o Dir::Etc::SourceParts="$APT_DIR/sources.list.d" \
            -o Dir::State::Lists="$APT_DIR/lists" \
            -o Dir::Cache="$APT_DIR/cache" \
            -o APT::Sandbox::User=root \
            "$@"
}
