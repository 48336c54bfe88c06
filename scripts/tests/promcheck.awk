# SPDX-License-Identifier: GPL-2.0
#
# What promtool check metrics does not check in twguard's exposition:
#
#   - every sample's family has a TYPE line before it, and no family has
#     two TYPE or HELP lines, or samples in two separate groups;
#   - no series (name and label set) appears twice;
#   - counters are named *_total;
#   - every histogram series set (its labels but le) has le bounds that
#     increase and end at +Inf, bucket counts that never decrease, and
#     one _sum and one _count, the _count equal to the +Inf bucket;
#   - every twguard_* series but the host-wide ones has a netns label.
#
#   awk -f promcheck.awk FILE     prints each problem, exits 1 on any

function problem(msg) {
	printf "promcheck: line %d: %s\n", NR, msg
	bad = 1
}

# The label set of a sample, parsed: sets LN (count), LK[i], LV[i].
# Returns the text after the closing brace, or "" on an error.
function parse_labels(s,    i, c, k, v, state) {
	LN = 0
	state = "key"
	k = ""
	for (i = 2; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (state == "key") {
			if (c == "}" && k == "")
				return substr(s, i + 1)
			if (c == "=") {
				state = "open"
			} else {
				k = k c
			}
		} else if (state == "open") {
			if (c != "\"")
				return ""
			state = "value"
			v = ""
		} else if (state == "value") {
			if (c == "\\") {
				i++
				v = v "\\" substr(s, i, 1)
			} else if (c == "\"") {
				LN++
				LK[LN] = k
				LV[LN] = v
				state = "sep"
			} else {
				v = v c
			}
		} else if (state == "sep") {
			if (c == "}")
				return substr(s, i + 1)
			if (c != ",")
				return ""
			state = "key"
			k = ""
		}
	}
	return ""
}

function family_of(name,    base) {
	if (name in type)
		return name
	if (name ~ /_(bucket|sum|count)$/) {
		base = name
		sub(/_(bucket|sum|count)$/, "", base)
		if (type[base] == "histogram")
			return base
	}
	return ""
}

/^#[ \t]*HELP / {
	if (($3) in help)
		problem("a second HELP for " $3)
	help[$3] = 1
	next
}
/^#[ \t]*TYPE / {
	if (($3) in type)
		problem("a second TYPE for " $3)
	type[$3] = $4
	if ($4 == "counter" && $3 !~ /_total$/)
		problem("counter " $3 " is not named *_total")
	next
}
/^#/ || /^[ \t]*$/ { next }
{
	line = $0
	name = line
	sub(/[{ ].*/, "", name)
	rest = substr(line, length(name) + 1)
	LN = 0
	if (substr(rest, 1, 1) == "{") {
		rest = parse_labels(rest)
		if (rest == "") {
			problem("labels cannot be parsed: " line)
			next
		}
	}
	split(rest, w, " ")
	value = w[1]
	if (value !~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ && value !~ /^[-+]?Inf$/ && value != "NaN")
		problem("not a number: " value)

	fam = family_of(name)
	if (fam == "") {
		problem("no TYPE for " name " before its samples")
		next
	}
	if (fam != last_fam) {
		if (fam in seen_fam)
			problem("samples of " fam " in two separate groups")
		seen_fam[fam] = 1
		last_fam = fam
	}

	key = name "{"
	group = fam "{"
	le = ""
	netns = 0
	for (i = 1; i <= LN; i++) {
		key = key LK[i] "=" LV[i] ","
		if (LK[i] == "le")
			le = LV[i]
		else
			group = group LK[i] "=" LV[i] ","
		if (LK[i] == "netns")
			netns = 1
	}
	if (key in series)
		problem("series twice: " key "}")
	series[key] = 1
	if (fam ~ /^twguard_/ && !netns &&
	    fam !~ /^twguard_(build_info|hook_attached|metrics_written_timestamp_seconds)$/)
		problem(name " has no netns label")

	if (type[fam] != "histogram")
		next
	groups[group] = 1
	if (name == fam "_bucket") {
		if (le == "") {
			problem("a bucket without le: " line)
			next
		}
		if (group in inf)
			problem("a bucket after le=\"+Inf\" in " group "}")
		if (le == "+Inf") {
			inf[group] = value
		} else if ((group in last_le) && le + 0 <= last_le[group] + 0) {
			problem("le " le " not above " last_le[group] " in " group "}")
		}
		if ((group in last_count) && value + 0 < last_count[group] + 0)
			problem("bucket count " value " below the one before in " group "}")
		last_le[group] = le
		last_count[group] = value
	} else if (name == fam "_sum") {
		sums[group]++
	} else {
		counts[group]++
		count_value[group] = value
	}
}
END {
	for (g in groups) {
		if (!(g in inf))
			problem("no le=\"+Inf\" bucket in " g "}")
		if (sums[g] != 1)
			problem(sums[g] + 0 " _sum in " g "}")
		if (counts[g] != 1)
			problem(counts[g] + 0 " _count in " g "}")
		else if ((g in inf) && count_value[g] + 0 != inf[g] + 0)
			problem("_count " count_value[g] " is not the +Inf bucket's " inf[g] " in " g "}")
	}
	exit bad
}
