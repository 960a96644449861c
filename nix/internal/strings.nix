# String and list helpers from builtins only, so the pure part of the library evaluates
# (and is tested) without nixpkgs.
#   strings.toUpper "ab-c" == "AB-C"
rec {
  lower = [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
  upper = [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];

  toUpper = builtins.replaceStrings lower upper;

  # a target triple as cargo spells it in variable names (CARGO_TARGET_<TRIPLE>_LINKER):
  # upper case, `-` and `.` as `_`
  #   strings.cargoTriple "x86_64-unknown-linux-gnu" == "X86_64_UNKNOWN_LINUX_GNU"
  cargoTriple = triple: builtins.replaceStrings [ "-" "." ] [ "_" "_" ] (toUpper triple);

  # "a.b.c" -> { name = "a"; rest = "b.c"; }; no dot -> rest = null
  splitOnceDot = s:
    let m = builtins.match "([^.]*)\\.(.*)" s;
    in if m == null then { name = s; rest = null; } else { name = builtins.elemAt m 0; rest = builtins.elemAt m 1; };

  hasPrefix = prefix: s: builtins.substring 0 (builtins.stringLength prefix) s == prefix;

  concatMap = f: list: builtins.concatLists (map f list);

  # first element satisfying pred, or `default`
  findFirst = pred: default: list:
    let found = builtins.filter pred list;
    in if found == [ ] then default else builtins.head found;

  # unique elements, first occurrence kept
  unique = builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];

  # "2.17" -> true: MAJOR.MINOR[.PATCH], the glibc floors' spelling (compared with
  # builtins.compareVersions)
  isVersion = v: builtins.match "[0-9]+\\.[0-9]+(\\.[0-9]+)?" v != null;
}
