# Evaluates every case file in this directory: each is a function of the pure library returning
# a list of { name; expr; expected; }. An `expected` of { throws = "MESSAGE"; } means evaluating
# `expr` must fail with an error containing MESSAGE: builtins cannot read an error's message, so
# those cases are listed here and each is evaluated on its own by run.sh, which checks the
# message. Result: { passed; failed = [ ... ]; throwing = [ { file; index; name; message; } ]; }.
let
  pure = import ../../nix/pure.nix { };
  files = builtins.filter (f: f != "run.nix" && builtins.match ".*\\.nix" f != null)
    (builtins.attrNames (builtins.readDir ./.));
  casesOf = f: import (./. + "/${f}") pure;
  indexed = builtins.concatLists (map
    (f: let cs = casesOf f; in builtins.genList (i: builtins.elemAt cs i // { file = f; index = i; }) (builtins.length cs))
    files);
  throws = c: builtins.isAttrs c.expected && c.expected ? throws;
  values = builtins.filter (c: !(throws c)) indexed;
  results = map (c: c // { ok = c.expr == c.expected; }) values;
  failed = builtins.filter (r: !r.ok) results;
in
{
  passed = builtins.length results - builtins.length failed;
  failed = map (r: { inherit (r) name file expected; got = r.expr; }) failed;
  throwing = map (c: { inherit (c) file index name; message = c.expected.throws; }) (builtins.filter throws indexed);
  # case FILE INDEX: that case's expression, for run.sh to evaluate alone
  case = file: index: (builtins.elemAt (casesOf file) index).expr;
}
