# SPDX-License-Identifier: GPL-2.0
#
# Prove, from the target tree's own header, that nothing is declared
# between two members of a structure: the space twguard keeps a word in
# (stamp.h) must be padding, not a field the kernel added there.
#
#   awk -f layout.awk -v s=STRUCT -v a=AFTER -v b=BEFORE HEADER
#
# STRUCT names the structure; AFTER and BEFORE are extended regular
# expressions for the lines of the members on either side of the gap.
# Prints "clear" when the lines between them hold only comments, blank
# lines and preprocessor conditionals; otherwise the first line that
# declares something, or "missing" when the structure or either member
# is not found.  The size of the gap is checked by the compiler
# (BUILD_BUG_ON in stamp.h): this check is about what the gap holds.

BEGIN { state = 0; verdict = "missing"; incomment = 0 }

# Strip comments, keeping track of those that span lines.
function strip(line,    out, i) {
	out = ""
	while (length(line)) {
		if (incomment) {
			i = index(line, "*/")
			if (!i)
				return out
			line = substr(line, i + 2)
			incomment = 0
			continue
		}
		i = index(line, "/*")
		if (!i) {
			out = out line
			break
		}
		out = out substr(line, 1, i - 1)
		line = substr(line, i + 2)
		incomment = 1
	}
	sub(/\/\/.*/, "", out)
	return out
}

{
	line = strip($0)
}

state == 0 && line ~ ("^[[:space:]]*struct[[:space:]]+" s "[[:space:]]*\\{") {
	state = 1
	next
}

state == 1 && line ~ /^};/ { exit }

state == 1 && line ~ a { state = 2; next }

state == 2 {
	if (line ~ b) {
		verdict = "clear"
		exit
	}
	if (line ~ /^[[:space:]]*$/ ||
	    line ~ /^[[:space:]]*#[[:space:]]*(if|ifdef|ifndef|else|elif|endif)/)
		next
	verdict = $0
	gsub(/[[:space:]]+/, " ", verdict)
	exit
}

END { print verdict }
