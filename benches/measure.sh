# Shared by the benchmark scripts: `measure NAME COMMAND...` runs COMMAND $runs times (from the
# caller) and prints "NAME<TAB>median ms<TAB>max RSS MiB". Needs $work (a temporary directory).
measure() { # name, command...: prints "name<TAB>median ms<TAB>max RSS MiB"
  local name="$1"; shift
  local times=() rss=0 start end kb
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null
    end=$(date +%s%N)
    times+=("$(( (end - start) / 1000 ))")
    kb=$(tail -n 1 "$work/rss")
    (( kb > rss )) && rss=$kb
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%s\t%.1f ms\t%d MiB\n' "$name" "$(echo "$median / 1000" | bc -l)" "$((rss / 1024))"
}
