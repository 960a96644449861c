# The stand-in stdenv's setup script: $stdenv/setup, sourced by every derivation's builder
# (default-builder.sh: `source $stdenv/setup; genericBuild`) and by `nix develop` /
# `nix print-dev-env`. Written from the nixpkgs manual's description of stdenv ("The standard
# environment": phases, hooks, dependencies, the fixup phase) and what crane's setup hooks
# rely on. The values in @...@ are filled in when the stdenv is built (stdenv/default.nix).
#
# What it does, in order: PATH from the initial path; the dependencies (nativeBuildInputs,
# buildInputs, depsBuildBuild, propagated ones, transitively through nix-support/propagated-*),
# each one's bin/ on PATH and its nix-support/setup-hook sourced; then genericBuild runs the
# phases, each with its pre/post hooks and each skipped by its dontX / doX switch.

__standin_set_opts=$-
set -e
set -o pipefail

# ---- basics ----------------------------------------------------------------------------
: "${outputs:=out}"
shell=@shell@
export SHELL=$shell CONFIG_SHELL=$shell
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-315532800}
export TZ=UTC
export NIX_BUILD_CORES=${NIX_BUILD_CORES:-1}
[ "$NIX_BUILD_CORES" -gt 0 ] 2>/dev/null || NIX_BUILD_CORES=$(nproc 2>/dev/null || echo 1)
if [ -z "${NIX_BUILD_TOP:-}" ]; then NIX_BUILD_TOP=${TMPDIR:-/tmp}; fi
prefix=${prefix:-${out:-}}

# addToSearchPath VAR DIR: appends DIR to the colon-separated VAR when DIR exists
addToSearchPath() {
  [ -d "$2" ] || return 0
  export "$1"="${!1:+${!1}:}$2"
}

PATH=
for __p in @initialPath@; do addToSearchPath PATH "$__p/bin"; done
HOST_PATH=$PATH
export PATH HOST_PATH

# ---- hooks -----------------------------------------------------------------------------
# A hook is either a function (called with the hook's arguments) or a string (evaluated).
_standinEval() {
  if declare -F "$1" >/dev/null 2>&1; then
    "$@"
  else
    eval "$1"
  fi
}

# runHook NAME ARGS...: the implicit hook NAME (a function of that name, or the variable NAME
# evaluated), then every entry of the array NAMEHooks (NAME without a trailing `Hook`).
runHook() {
  local name=$1
  shift
  local arrayName="${name%Hook}Hooks[@]"
  local hook
  if declare -F "$name" >/dev/null 2>&1; then
    "$name" "$@"
  elif [ -n "${!name:-}" ]; then
    eval "${!name}"
  fi
  for hook in ${!arrayName+"${!arrayName}"}; do
    _standinEval "$hook" "$@"
  done
  return 0
}

# runOneHook NAME ARGS...: the entries of NAMEHooks in turn until one succeeds
runOneHook() {
  local name=$1
  shift
  local arrayName="${name%Hook}Hooks[@]"
  local hook
  for hook in ${!arrayName+"${!arrayName}"}; do
    if _standinEval "$hook" "$@"; then return 0; fi
  done
  return 1
}

# addEnvHooks OFFSET FUNCTION...: FUNCTION runs once for every dependency (its store path as
# the argument), as nixpkgs' env hooks do. The offset is accepted and not distinguished.
envHooks=()
addEnvHooks() {
  shift
  envHooks+=("$@")
}

# ---- helpers setup hooks and phases use ---------------------------------------------------
isELF() {
  local magic
  [ -f "$1" ] || return 1
  magic=$(head -c 4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')
  [ "$magic" = 7f454c46 ]
}

isScript() {
  [ -f "$1" ] && [ "$(head -c 2 "$1" 2>/dev/null)" = '#!' ]
}

# stripHash PATH: the file name without the store hash
stripHash() {
  local name
  name=$(basename "$1")
  if [[ $name =~ ^[a-z0-9]{32}- ]]; then name=${name:33}; fi
  echo "$name"
}

# substitute IN OUT --replace(-fail|-warn|-quiet) FROM TO | --subst-var NAME | --subst-var-by NAME VALUE ...
substitute() {
  local input=$1 output=$2
  shift 2
  local content
  content=$(cat "$input"; printf x)
  content=${content%x}
  while [ $# -gt 0 ]; do
    case $1 in
      --replace | --replace-fail | --replace-warn | --replace-quiet)
        if [ "$1" = --replace-fail ] && [[ $content != *"$2"* ]]; then
          echo "substitute: \`$2' not found in $input" >&2
          return 1
        fi
        content=${content//"$2"/"$3"}
        shift 3
        ;;
      --subst-var)
        content=${content//"@$2@"/"${!2}"}
        shift 2
        ;;
      --subst-var-by)
        content=${content//"@$2@"/"$3"}
        shift 3
        ;;
      *)
        echo "substitute: unknown argument $1" >&2
        return 1
        ;;
    esac
  done
  printf '%s' "$content" >"$output.tmp"
  if [ -x "$input" ]; then chmod +x "$output.tmp"; fi
  mv "$output.tmp" "$output"
}

substituteInPlace() {
  local file=$1
  shift
  substitute "$file" "$file" "$@"
}

# ---- dependencies ----------------------------------------------------------------------
# Every dependency, with what nix-support/propagated-* files add, each once. Build-platform
# dependencies (depsBuildBuild, nativeBuildInputs and their propagated ones) put bin/ on PATH;
# host dependencies (buildInputs) put bin/ on PATH only without strictDeps (on HOST_PATH always).
declare -A __standinSeen=()
__standinNative=()
__standinHost=()
_standinFindInputs() {
  local kind=$1 dep file
  shift
  for dep in "$@"; do
    [ -n "$dep" ] || continue
    if [ -n "${__standinSeen[$kind:$dep]:-}" ]; then continue; fi
    __standinSeen[$kind:$dep]=1
    if [ "$kind" = native ]; then __standinNative+=("$dep"); else __standinHost+=("$dep"); fi
    for file in propagated-native-build-inputs propagated-build-build-deps; do
      if [ -f "$dep/nix-support/$file" ]; then
        # shellcheck disable=SC2046
        _standinFindInputs native $(cat "$dep/nix-support/$file")
      fi
    done
    if [ -f "$dep/nix-support/propagated-build-inputs" ]; then
      # shellcheck disable=SC2046
      _standinFindInputs "$kind" $(cat "$dep/nix-support/propagated-build-inputs")
    fi
  done
}
# shellcheck disable=SC2086
_standinFindInputs native @defaultNativeBuildInputs@ ${depsBuildBuild:-} ${depsBuildBuildPropagated:-} \
  ${nativeBuildInputs:-} ${propagatedNativeBuildInputs:-} ${depsBuildTarget:-} ${depsBuildTargetPropagated:-}
# shellcheck disable=SC2086
_standinFindInputs host ${depsHostHost:-} ${depsHostHostPropagated:-} ${buildInputs:-} ${propagatedBuildInputs:-} \
  ${depsTargetTarget:-} ${depsTargetTargetPropagated:-}

declare -A __standinHooked=()
for __dep in "${__standinNative[@]}" ${__standinHost[@]+"${__standinHost[@]}"}; do
  if [ -z "${__standinHooked[$__dep]:-}" ] && [ -f "$__dep/nix-support/setup-hook" ]; then
    __standinHooked[$__dep]=1
    # shellcheck disable=SC1091
    source "$__dep/nix-support/setup-hook"
  fi
done
for __dep in "${__standinNative[@]}"; do
  addToSearchPath PATH "$__dep/bin"
done
for __dep in ${__standinHost[@]+"${__standinHost[@]}"}; do
  addToSearchPath HOST_PATH "$__dep/bin"
  if [ -z "${strictDeps:-}" ]; then addToSearchPath PATH "$__dep/bin"; fi
done
for __dep in "${__standinNative[@]}" ${__standinHost[@]+"${__standinHost[@]}"}; do
  for __hook in ${envHooks[@]+"${envHooks[@]}"}; do _standinEval "$__hook" "$__dep"; done
done
unset __dep __hook __p

# ---- fixup helpers ---------------------------------------------------------------------
# patchShebangs [--build|--host] PATH...: rewrites `#!` lines of executable scripts to the
# store path of their interpreter, found on PATH (--build) or HOST_PATH (--host, the default
# for outputs), `/usr/bin/env PROG` included. Interpreters already in the store are left.
patchShebangs() {
  local pathName=HOST_PATH
  case ${1:-} in
    --build) pathName=PATH; shift ;;
    --host) shift ;;
  esac
  local f first interp args prog found
  while IFS= read -r -d '' f; do
    isScript "$f" || continue
    IFS= read -r first <"$f" || true
    first=${first#\#!}
    first=${first# }
    interp=${first%% *}
    args=
    [[ $first == *" "* ]] && args=${first#* }
    case $interp in
      "$NIX_STORE"/* | /nix/store/*) continue ;;
      */env)
        prog=${args%% *}
        [[ $args == *" "* ]] && args=${args#* } || args=
        [ "$prog" = -S ] && continue
        ;;
      *) prog=$(basename "$interp") ;;
    esac
    found=$(PATH=${!pathName} command -v "$prog" 2>/dev/null || true)
    if [ -z "$found" ] || [[ $found != /* ]]; then
      echo "patchShebangs: $f: no $prog on $pathName, left as it is" >&2
      continue
    fi
    echo "patching script interpreter paths in $f"
    sed -i "1s|.*|#!$found${args:+ $args}|" "$f"
  done < <(find "$@" -type f -perm -0100 -print0 2>/dev/null)
}

# stripDirs CMD DIRS FLAGS: strips the executables, shared libraries and archives under DIRS
# (relative to $prefix). A file the strip command cannot handle (a script, a wasm module,
# another architecture's binary) is left as it is, as nixpkgs' strip hook leaves it (it ignores
# xargs' status 123: a strip that failed); a strip command that cannot run at all (status 126 and
# up: not found, not executable, killed) fails the build, as there.
stripDirs() {
  local cmd=$1 dirs=$2 flags=$3 d paths=() f tried=0 failed=0 status
  for d in $dirs; do
    if [ -e "$prefix/$d" ]; then paths+=("$prefix/$d"); fi
  done
  [ ${#paths[@]} -gt 0 ] || return 0
  echo "stripping (with command $cmd and flags $flags) in ${paths[*]}"
  while IFS= read -r -d '' f; do
    tried=$((tried + 1))
    status=0
    # shellcheck disable=SC2086
    $cmd $flags "$f" 2>&1 || status=$?
    if [ "$status" -ge 126 ]; then
      echo "stripDirs: $cmd could not run on $f (status $status)" >&2
      return 1
    fi
    if [ "$status" -ne 0 ]; then failed=$((failed + 1)); fi
  done < <(find "${paths[@]}" -type f \( -perm -0100 -o -name '*.a' -o -name '*.so' -o -name '*.so.*' \) -print0)
  if [ "$failed" -gt 0 ]; then echo "stripDirs: left $failed of $tried files unstripped ($cmd cannot handle them)"; fi
}

_standinStrip() {
  if [ -n "${dontStrip:-}" ] || ! command -v "${STRIP:-strip}" >/dev/null 2>&1; then return 0; fi
  stripDirs "${STRIP:-strip}" "${stripDebugList:-lib lib32 lib64 libexec bin sbin}" "${stripDebugFlags:--S -p}"
  if [ -n "${stripAllList:-}" ]; then stripDirs "${STRIP:-strip}" "$stripAllList" "${stripAllFlags:--s -p}"; fi
}

# patchELF DIR: drops rpath entries the ELF files under DIR do not need
patchELF() {
  local f
  while IFS= read -r -d '' f; do
    isELF "$f" || continue
    # nixpkgs' hook goes on past a file patchelf cannot shrink, showing why
    echo "shrinking $f"
    patchelf --shrink-rpath "$f" || echo "patchELF: $f left as it is" >&2
  done < <(find "$1" -type f -print0)
}

_standinPatchShebangsAuto() {
  if [ -z "${dontPatchShebangs:-}" ] && [ -e "$prefix" ]; then patchShebangs --host "$prefix"; fi
}

_standinPatchELF() {
  if [ -z "${dontPatchELF:-}" ] && [ -e "$prefix" ] && command -v patchelf >/dev/null 2>&1; then patchELF "$prefix"; fi
}

fixupOutputHooks=(_standinStrip _standinPatchShebangsAuto _standinPatchELF "${fixupOutputHooks[@]}")

# ---- phases ----------------------------------------------------------------------------
unpackFile() {
  local src=$1
  echo "unpacking source archive $src"
  if [ -d "$src" ]; then
    cp -r --preserve=mode,timestamps --no-preserve=ownership -- "$src" "$(stripHash "$src")"
  else
    case $src in
      *.tar | *.tar.* | *.tgz | *.tbz2 | *.txz | *.crate) tar -xf "$src" --mode=+w --warning=no-timestamp ;;
      *) runOneHook unpackCmd "$src" || {
        echo "do not know how to unpack source archive $src" >&2
        return 1
      } ;;
    esac
  fi
}

unpackPhase() {
  runHook preUnpack
  local srcList=${srcs:-${src:-}}
  if [ -z "$srcList" ]; then
    echo "variable \$src or \$srcs should point to the source" >&2
    return 1
  fi
  local before i newDirs
  before=$(find . -mindepth 1 -maxdepth 1 -type d | sort)
  for i in $srcList; do unpackFile "$i"; done
  if [ -z "${sourceRoot:-}" ]; then
    newDirs=$(comm -13 <(echo "$before") <(find . -mindepth 1 -maxdepth 1 -type d | sort))
    if [ "$(echo "$newDirs" | grep -c .)" -ne 1 ]; then
      echo "unpacker produced $(echo "$newDirs" | grep -c .) directories; set sourceRoot" >&2
      return 1
    fi
    sourceRoot=$newDirs
  fi
  echo "source root is $sourceRoot"
  if [ -z "${dontMakeSourcesWritable:-}" ]; then chmod -R u+w -- "$sourceRoot"; fi
  runHook postUnpack
}

patchPhase() {
  runHook prePatch
  local p
  for p in ${patches:-}; do
    echo "applying patch $p"
    case $p in
      *.gz) gzip -dc "$p" ;;
      *.xz) xz -dc "$p" ;;
      *) cat "$p" ;;
    esac | patch ${patchFlags:--p1}
  done
  runHook postPatch
}

configurePhase() {
  runHook preConfigure
  local script=${configureScript:-}
  if [ -z "$script" ] && [ -x ./configure ]; then script=./configure; fi
  if [ -n "$script" ]; then
    # shellcheck disable=SC2086
    $script --prefix="$prefix" ${configureFlags:-}
  else
    echo "no configure script, doing nothing"
  fi
  runHook postConfigure
}

_standinHasMakefile() { [ -n "${makefile:-}" ] || [ -e Makefile ] || [ -e makefile ] || [ -e GNUmakefile ]; }

buildPhase() {
  runHook preBuild
  if _standinHasMakefile; then
    # shellcheck disable=SC2086
    make ${makefile:+-f $makefile} -j"$NIX_BUILD_CORES" SHELL="$SHELL" ${makeFlags:-} ${buildFlags:-}
  else
    echo "no Makefile or custom buildPhase, doing nothing"
  fi
  runHook postBuild
}

checkPhase() {
  runHook preCheck
  if _standinHasMakefile; then
    # shellcheck disable=SC2086
    make ${makefile:+-f $makefile} -j"$NIX_BUILD_CORES" SHELL="$SHELL" ${makeFlags:-} ${checkFlags:-} ${checkTarget:-check}
  else
    echo "no Makefile or custom checkPhase, doing nothing"
  fi
  runHook postCheck
}

installPhase() {
  runHook preInstall
  if [ -n "$prefix" ]; then mkdir -p "$prefix"; fi
  if _standinHasMakefile; then
    # shellcheck disable=SC2086
    make ${makefile:+-f $makefile} SHELL="$SHELL" ${makeFlags:-} ${installFlags:-} ${installTargets:-install}
  else
    echo "no Makefile or custom installPhase, doing nothing"
  fi
  runHook postInstall
}

fixupPhase() {
  local output
  for output in $outputs; do
    if [ -e "${!output}" ]; then chmod -R u+w "${!output}"; fi
  done
  runHook preFixup
  for output in $outputs; do
    prefix=${!output} runHook fixupOutput
  done
  # what dependents of this package get: propagated inputs and the setup hook, in the first output
  local first=${outputs%% *}
  first=${!first}
  if [ -n "${propagatedBuildInputs:-}" ]; then
    mkdir -p "$first/nix-support"
    printf '%s\n' "$propagatedBuildInputs" >>"$first/nix-support/propagated-build-inputs"
  fi
  if [ -n "${propagatedNativeBuildInputs:-}" ]; then
    mkdir -p "$first/nix-support"
    printf '%s\n' "$propagatedNativeBuildInputs" >>"$first/nix-support/propagated-native-build-inputs"
  fi
  if [ -n "${setupHook:-}" ]; then
    mkdir -p "$first/nix-support"
    cp "$setupHook" "$first/nix-support/setup-hook"
  fi
  runHook postFixup
}

installCheckPhase() {
  runHook preInstallCheck
  if _standinHasMakefile; then
    # shellcheck disable=SC2086
    make ${makefile:+-f $makefile} ${makeFlags:-} ${installCheckFlags:-} ${installCheckTarget:-installcheck}
  else
    echo "no Makefile or custom installCheckPhase, doing nothing"
  fi
  runHook postInstallCheck
}

distPhase() {
  runHook preDist
  runHook postDist
}

showPhaseHeader() {
  echo "Running phase: $1"
}

# genericBuild: $buildCommandPath or $buildCommand when set, else the phases ($phases, or the
# standard list with the pre*Phases/postPhases arrays), each skipped by its switch.
genericBuild() {
  if [ -n "${buildCommandPath:-}" ]; then
    # shellcheck disable=SC1090
    source "$buildCommandPath"
    return
  fi
  if [ -n "${buildCommand:-}" ]; then
    eval "$buildCommand"
    return
  fi
  local list=${phases:-}
  if [ -z "$list" ]; then
    list="${prePhases[*]:-} unpackPhase patchPhase ${preConfigurePhases[*]:-} configurePhase \
      ${preBuildPhases[*]:-} buildPhase checkPhase ${preInstallPhases[*]:-} installPhase \
      ${preFixupPhases[*]:-} fixupPhase installCheckPhase ${preDistPhases[*]:-} distPhase ${postPhases[*]:-}"
  fi
  local curPhase
  for curPhase in $list; do
    case $curPhase in
      unpackPhase) [ -z "${dontUnpack:-}" ] || continue ;;
      patchPhase) [ -z "${dontPatch:-}" ] || continue ;;
      configurePhase) [ -z "${dontConfigure:-}" ] || continue ;;
      buildPhase) [ -z "${dontBuild:-}" ] || continue ;;
      checkPhase) [ -n "${doCheck:-}" ] || continue ;;
      installPhase) [ -z "${dontInstall:-}" ] || continue ;;
      fixupPhase) [ -z "${dontFixup:-}" ] || continue ;;
      installCheckPhase) [ -n "${doInstallCheck:-}" ] || continue ;;
      distPhase) [ -n "${doDist:-}" ] || continue ;;
    esac
    showPhaseHeader "$curPhase"
    eval "${!curPhase:-$curPhase}"
    if [ "$curPhase" = unpackPhase ]; then
      cd -- "${sourceRoot:-.}"
    fi
  done
}

runHook postHook

# like nixpkgs' setup, leave the shell options as they were for `nix develop`
[[ $__standin_set_opts == *e* ]] || set +e
unset __standin_set_opts
