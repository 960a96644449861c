# stdenv.mkDerivation ATTRS, or (finalAttrs: ATTRS) -> a derivation built by bash with
# ./default-builder.sh and the stdenv's setup. Attributes go to the builder's environment (null
# ones are left out, lists are space-separated, true is "1"), except passthru, meta and pos; the
# attributes of `env` go to it too, and may not repeat a top-level one. The result carries the
# derivation's attributes, passthru's, `passthru`, `meta`, `overrideAttrs` and one attribute per
# output.
{ lib, system, stdenv }:
let
  mk = fnOrAttrs:
    let
      attrsOf = final: if builtins.isFunction fnOrAttrs then fnOrAttrs final else fnOrAttrs;
      final = attrsOf final // { finalPackage = result; };
      args = attrsOf final;
      name =
        if args ? name then args.name
        else if args ? pname && args ? version then "${args.pname}-${args.version}"
        else throw "stdenv.mkDerivation: give `name`, or `pname` and `version`";
      outputs = args.outputs or [ "out" ];
      env = args.env or { };
      clashes = builtins.filter (n: args ? ${n}) (builtins.attrNames env);
      passthru = args.passthru or { };
      meta = args.meta or { };
      drvAttrs =
        if clashes != [ ] then
          throw "stdenv.mkDerivation ${name}: `env.${builtins.head clashes}` is also a top-level attribute"
        else
          builtins.removeAttrs args [ "passthru" "meta" "pos" "env" "name" "finalPackage" ]
          // builtins.mapAttrs (_: v: if builtins.isBool v then (if v then "1" else "") else v) env
          // {
            inherit name system outputs stdenv;
            builder = "${stdenv.shell}";
            args = [ "-e" ./default-builder.sh ];
            __ignoreNulls = true;
          };
      drv = derivation drvAttrs;
      result = drv // passthru // {
        inherit passthru meta;
        drvAttrs = drvAttrs;
        overrideAttrs = f:
          mk (if builtins.isFunction fnOrAttrs
          then (finalAttrs: let prev = fnOrAttrs finalAttrs; in prev // (lib.toFunction f) prev)
          else args // (lib.toFunction f) args);
      } // lib.optionalAttrs (args ? pname) { inherit (args) pname; }
        // lib.optionalAttrs (args ? version) { inherit (args) version; };
    in
    result;
in
mk
