#!/usr/bin/env bash
# Builds the host for running (Release, Wolverine TypeLoadMode.Static): a normal Release build, then Wolverine's
# `codegen write` pre-generates the handler and endpoint code from it, then a second build compiles that code in
# (-p:WolverineStatic=true). Start the result with ChargeLedger__CodeGeneration=Static. The generated code is never
# committed (STYLE.md); it is made fresh by every build here, so it cannot go stale.
# Prints the path of the built ChargeLedger.Host.dll as the last line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
project=src/ChargeLedger.Host
dll=$PWD/$project/bin/Release/net10.0/ChargeLedger.Host.dll

rm -rf "$project/Internal/Generated"
dotnet build "$project" -c Release -nologo -v quiet >&2
# codegen only builds the model; it needs a connection string to construct it but never connects.
(cd "$project" && ConnectionStrings__Marten="${ConnectionStrings__Marten:-Host=127.0.0.1;Database=codegen}" \
  dotnet "$dll" codegen write >/dev/null)
dotnet build "$project" -c Release -nologo -v quiet -p:WolverineStatic=true >&2
echo "$dll"
