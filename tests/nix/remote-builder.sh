# Sourced by tests/nix/real-builds.sh (step builders) and bench/builders.sh: a Nix remote
# builder on 127.0.0.1, as a team would run one: Debian's sshd on a free port with its own host
# key, a builder user that logs in only with its own key, and that user's own Nix (its
# configuration in ~/.config/nix/nix.conf: sandbox on, its own store under DIR/store, no
# substituters). Nix's ssh-ng store runs `nix-daemon --stdio` there, which opens the store the
# builder's configuration names, so nothing of the local store or the local settings is used.
# Needs root (the user, sshd), Debian's openssh-server (scripts/provision installs it) and
# unprivileged user namespaces (the builder's sandbox).
#
#   builder_start DIR   starts it; sets builder_user, builder_port, builder_store (the builder's
#                       store root), builder_log (sshd's log), builder_key (the client's private
#                       key), builder_host_key (base64 of its host key line), builder_machines
#                       (a machines file with the one builder: `--builders @$builder_machines`),
#                       and exports NIX_SSHOPTS="-p PORT"
#   builder_probe       proves the builder's sandbox is on
#   builder_nix ARGS... runs nix as the builder user, on the builder's store
#   builder_stop        stops sshd
# shellcheck shell=bash

builder_user=crossflake-builder

builder_start() {
  local dir=$1 home
  for tool in /usr/sbin/sshd ssh ssh-keygen /bin/busybox; do
    command -v "$tool" >/dev/null || {
      echo "remote-builder: $tool is missing (scripts/provision installs openssh-server; tests/nix/standin/setup.sh busybox-static)" >&2
      return 1
    }
  done
  # Nix runs the first `ssh` on PATH: the proof is about the system's OpenSSH, no wrapper
  local found
  for found in $(type -aP ssh); do
    [ "$(readlink -f "$found")" = "$(readlink -f /usr/bin/ssh)" ] || {
      echo "remote-builder: $found is on PATH besides /usr/bin/ssh; the builder is reached with the system's ssh only" >&2
      return 1
    }
  done
  builder_stop
  # an sshd a killed run left
  if [ -s "$dir/sshd.pid" ]; then kill "$(cat "$dir/sshd.pid")" 2>/dev/null || true; fi
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 755 "$dir"
  home=$dir/home
  if ! id "$builder_user" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir "$home" --shell /bin/sh "$builder_user"
  fi
  # sshd refuses a locked account ("!"): `*` has no password and is not locked
  usermod --home "$home" --password '*' "$builder_user"
  mkdir -p "$home/.ssh" "$home/.config/nix" "$dir/store"
  ssh-keygen -q -t ed25519 -N '' -C crossflake-builder-host -f "$dir/host_key"
  ssh-keygen -q -t ed25519 -N '' -C crossflake-client -f "$dir/client_key"
  cp "$dir/client_key.pub" "$home/.ssh/authorized_keys"
  builder_store=$dir/store
  cat >"$home/.config/nix/nix.conf" <<EOF
experimental-features = nix-command flakes
store = local?root=$builder_store
sandbox = true
sandbox-fallback = false
sandbox-paths = /bin/sh=/bin/busybox
substituters =
max-jobs = 2
cores = 2
EOF
  chown -R "$builder_user:" "$home" "$builder_store"
  chmod 700 "$home/.ssh"
  chmod 600 "$home/.ssh/authorized_keys"
  builder_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  builder_log=$dir/sshd.log
  cat >"$dir/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $builder_port
HostKey $dir/host_key
PidFile $dir/sshd.pid
AllowUsers $builder_user
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
LogLevel VERBOSE
EOF
  mkdir -p /run/sshd
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$builder_log" || {
    cat "$builder_log" >&2
    return 1
  }
  builder_sshd_pid_file=$dir/sshd.pid
  local i
  for i in $(seq 50); do
    [ -s "$dir/sshd.pid" ] && python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$builder_port" 2>/dev/null && break
    sleep 0.1
  done
  [ -s "$dir/sshd.pid" ] || { echo "remote-builder: sshd did not start: $(cat "$builder_log")" >&2; return 1; }
  builder_key=$dir/client_key
  builder_host_key=$(base64 -w0 "$dir/host_key.pub")
  builder_machines=$dir/machines
  echo "ssh-ng://$builder_user@127.0.0.1 x86_64-linux $builder_key 2 1 - - $builder_host_key" >"$builder_machines"
  export NIX_SSHOPTS="-p $builder_port"
}

# builder_probe: the builder's sandbox is on: a derivation (new every call) built there through
# --builders and --max-jobs 0 fails when it sees the host's /usr or /lib64. (Its store is a
# chroot store, which Nix builds in only inside a sandbox, as it mounts DIR/store at /nix/store;
# the builder's `sandbox = true` says so for any other store.)
builder_probe() {
  local nonce out
  nonce=$(date +%s%N)
  if ! out=$(nix-build --no-out-link --option builders "@$builder_machines" --max-jobs 0 --expr "derivation {
    name = \"builder-sandbox-probe\"; system = \"x86_64-linux\"; builder = \"/bin/sh\"; nonce = \"$nonce\";
    args = [ \"-c\" \"if [ -e /usr ] || [ -e /lib64 ]; then echo 'the sandbox is off on the builder: a build there sees /usr or /lib64' >&2; exit 1; fi; echo sandboxed > \$out\" ];
  }" 2>&1); then
    echo "remote-builder: the sandbox probe failed on the builder: $out" >&2
    return 1
  fi
  grep -qF "on 'ssh-ng://$builder_user@127.0.0.1'" <<<"$out" || {
    echo "remote-builder: the sandbox probe was not built on the builder: $out" >&2
    return 1
  }
}

builder_nix() {
  runuser -u "$builder_user" -- env HOME="$(getent passwd "$builder_user" | cut -d: -f6)" \
    PATH=/usr/bin:/bin nix "$@"
}

builder_stop() {
  if [ -n "${builder_sshd_pid_file:-}" ] && [ -s "$builder_sshd_pid_file" ]; then
    kill "$(cat "$builder_sshd_pid_file")" 2>/dev/null || true
    rm -f "$builder_sshd_pid_file"
  fi
  unset NIX_SSHOPTS
}
