# Shared by the benchmark scripts: `measure NAME COMMAND...` runs COMMAND $runs times (from the
# caller) and prints "NAME<TAB>median ms<TAB>max RSS MiB". Needs $work (a temporary directory).
# An argument `{fresh}` becomes a new, not yet existing directory under $work on every run.
# Times are read from bash's clock (`$EPOCHREALTIME`, bash 5): reading them with `date` started a
# process inside the measured interval, about a millisecond on top of every figure.
measure() { # name, command...: prints "name<TAB>median ms<TAB>max RSS MiB"
  local name="$1"; shift
  name_counter=$((${name_counter:-0} + 1))
  local times=() rss=0 start end kb
  local run args
  for run in $(seq "$runs"); do
    args=("${@//\{fresh\}/$work/fresh.$name_counter.$run}")
    start=${EPOCHREALTIME/[.,]/}
    /usr/bin/time -f "%M" -o "$work/rss" "${args[@]}" >/dev/null
    end=${EPOCHREALTIME/[.,]/}
    times+=("$(( end - start ))")
    rm -rf "$work/fresh.$name_counter.$run"
    kb=$(tail -n 1 "$work/rss")
    (( kb > rss )) && rss=$kb
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%s\t%.1f ms\t%d MiB\n' "$name" "$(echo "$median / 1000" | bc -l)" "$((rss / 1024))"
}
