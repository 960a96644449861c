# Builds a stdenv: $out/setup is setup.sh with the initial path, the shell and the default
# native inputs filled in.
mkdir -p "$out"
content=$(cat "$template"; printf x)
content=${content%x}
content=${content//@shell@/$shell}
content=${content//@initialPath@/$initialPath}
content=${content//@defaultNativeBuildInputs@/$defaultNativeBuildInputs}
printf '%s' "$content" >"$out/setup"
