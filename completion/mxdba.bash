# SPDX-License-Identifier: Apache-2.0
# bash completion for mxdba(8). Needs nothing but bash (bash-completion's
# helpers are not required). tests/integration/test_completion.py keeps the
# lists below equal to `mxdba --help` and `mxdba help COMMAND`.
#
# USER arguments complete from the configured database (`mxdba user list
# --ids`, read-only, at most 2 seconds) once at least one character is typed,
# or always with MXDBA_COMPLETE_USERS=1; MXDBA_COMPLETE_USERS=0 turns it off.

_mxdba_global_opts="-c --config --dry-run --json --csv --backup --no-backup -y --yes --while-running -v --verbose -q --quiet -h --help --version"

_mxdba_opts_for() {
	case "$1" in
	"user list") echo "--admins --deactivated --shadow-banned --ids" ;;
	"user ratelimit set") echo "--messages-per-second --burst" ;;
	"user create") echo "--admin --display-name --password-stdin --password-file --random-password --password-hash --no-password" ;;
	"user import") echo "--on-conflict" ;;
	"user deactivate") echo "--erase" ;;
	"user passwd") echo "--password-stdin --password-file --random-password --password-hash --logout-devices --scheme" ;;
	"user verify-password") echo "--password-stdin --password-file" ;;
	"hash") echo "--scheme --cost --password-stdin --password-file" ;;
	"rooms") echo "--membership --include-forgotten" ;;
	"members") echo "--local --membership --include-forgotten" ;;
	"report rooms") echo "--sort --limit --no-local-members" ;;
	"report media") echo "--sort --limit" ;;
	"evacuate") echo "--include-invites --lock" ;;
	"notice") echo "--as" ;;
	"queue list") echo "--state" ;;
	"queue cancel") echo "--all-pending" ;;
	"queue apply") echo "--url --limit --wait --timeout --parallel" ;;
	"room delete") echo "--purge --no-purge --block --message --new-room-user --from --as" ;;
	"room purge-history") echo "--before --keep-local --as" ;;
	"media purge-remote") echo "--before --as" ;;
	"token create") echo "--token --uses --expires" ;;
	"audit list") echo "--user --since" ;;
	"migrate") echo "--status" ;;
	"store copy") echo "--from" ;;
	"doctor") echo "--fix --check --list" ;;
	"batch") echo "--passwords-out" ;;
	"config init") echo "--from-dendrite --from-synapse" ;;
	esac
}

_mxdba_subs_for() {
	case "$1" in
	user) echo "list show create import promote demote passwd verify-password deactivate reactivate lock unlock shadow-ban unshadow-ban 3pid ratelimit directory" ;;
	queue) echo "list cancel apply" ;;
	audit) echo "list undo" ;;
	config) echo "init" ;;
	store) echo "copy" ;;
	report) echo "rooms media tables updates" ;;
	room) echo "delete purge-history" ;;
	media) echo "purge-remote" ;;
	token) echo "create list show delete" ;;
	"user ratelimit") echo "set clear" ;;
	"user 3pid") echo "add remove" ;;
	"user directory") echo "rebuild" ;;
	evacuate) echo "user room" ;;
	help) echo "check user hash rooms members report evacuate notice room media token queue audit doctor migrate store batch config" ;;
	esac
}

_mxdba_commands="check user hash rooms members report evacuate notice room media token queue audit doctor migrate store batch config help"

# The check names of the configured homeserver (`mxdba doctor --list`, at most 2 seconds).
_mxdba_checks() {
	local cmd=(mxdba -q --csv)
	[ -n "$1" ] && cmd+=(-c "$1")
	if command -v timeout >/dev/null 2>&1; then
		timeout 2 "${cmd[@]}" doctor --list 2>/dev/null </dev/null | tail -n +2 | cut -d, -f1
	else
		"${cmd[@]}" doctor --list 2>/dev/null </dev/null | tail -n +2 | cut -d, -f1
	fi
}

# Local user IDs from the database the command line's config points at.
_mxdba_users() {
	local cur="$1" cfg="$2"
	[ "${MXDBA_COMPLETE_USERS:-}" = 0 ] && return
	[ -z "$cur" ] && [ "${MXDBA_COMPLETE_USERS:-}" != 1 ] && return
	local cmd=(mxdba -q)
	[ -n "$cfg" ] && cmd+=(-c "$cfg")
	if command -v timeout >/dev/null 2>&1; then
		timeout 2 "${cmd[@]}" user list --ids 2>/dev/null </dev/null
	else
		"${cmd[@]}" user list --ids 2>/dev/null </dev/null
	fi
}

# The line up to the cursor split on blanks: user IDs hold a colon, which
# bash's COMP_WORDS would split.
_mxdba_main() {
	local line="${COMP_LINE:0:COMP_POINT}" cur prev cword
	local -a words
	read -ra words <<<"$line"
	[[ -z "$line" || "$line" == *[[:space:]] ]] && words+=("")
	cword=$((${#words[@]} - 1))
	cur="${words[cword]}"
	prev="${words[cword - 1]}"

	# find the command words and the config file, skipping global options
	local i w cfg="" cmd=() nargs=0
	for ((i = 1; i < cword; i++)); do
		w="${words[i]}"
		case "$w" in
		-c | --config) cfg="${words[i + 1]}"; i=$((i + 1)); continue ;;
		--config=*) cfg="${w#--config=}"; continue ;;
		-*) continue ;;
		esac
		if [ ${#cmd[@]} -eq 0 ]; then
			cmd=("$w")
		elif [ ${#cmd[@]} -le 2 ] && [ -n "$(_mxdba_subs_for "${cmd[*]}")" ] &&
			[[ " $(_mxdba_subs_for "${cmd[*]}") " == *" $w "* ]]; then
			cmd+=("$w")
		else
			nargs=$((nargs + 1))
		fi
	done

	case "$prev" in
	-c | --config | --password-file | --passwords-out | --from-dendrite | --from)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--scheme) COMPREPLY=($(compgen -W "bcrypt argon2id" -- "$cur")); return ;;
	--on-conflict) COMPREPLY=($(compgen -W "fail skip update" -- "$cur")); return ;;
	--membership) COMPREPLY=($(compgen -W "join invite leave ban knock all" -- "$cur")); return ;;
	--state) COMPREPLY=($(compgen -W "pending done skipped failed cancelled" -- "$cur")); return ;;
	--sort)
		if [ "${cmd[*]}" = "report media" ]; then
			COMPREPLY=($(compgen -W "bytes count" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "events event_bytes joined_members joined_local_members state_events state_groups state_group_rows forward_extremities last_event_ts" -- "$cur"))
		fi
		return ;;
	--user) COMPREPLY=($(compgen -W "$(_mxdba_users "$cur" "$cfg")" -- "$cur")); return ;;
	--check) COMPREPLY=($(compgen -W "$(_mxdba_checks "$cfg")" -- "$cur")); return ;;
	--display-name | --password-hash | --cost | --url | --limit | --wait | --timeout | --since) return ;;
	esac

	if [ ${#cmd[@]} -eq 0 ]; then
		if [[ "$cur" == -* ]]; then
			COMPREPLY=($(compgen -W "$_mxdba_global_opts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_mxdba_commands" -- "$cur"))
		fi
		return
	fi
	local subs
	subs="$(_mxdba_subs_for "${cmd[0]}")"
	if [ ${#cmd[@]} -eq 1 ] && [ -n "$subs" ] && [ "${cmd[0]}" != evacuate ] && [ "${cmd[0]}" != help ]; then
		COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		return
	fi
	# a command of three words (user ratelimit set): its last word
	if [ ${#cmd[@]} -eq 2 ] && [ "${cmd[0]}" != help ] && [ -n "$(_mxdba_subs_for "${cmd[*]}")" ]; then
		COMPREPLY=($(compgen -W "$(_mxdba_subs_for "${cmd[*]}")" -- "$cur"))
		return
	fi
	if [ "${cmd[0]}" = help ] || { [ "${cmd[0]}" = evacuate ] && [ ${#cmd[@]} -eq 1 ]; }; then
		[ ${#cmd[@]} -eq 1 ] && COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		[ ${#cmd[@]} -eq 2 ] && [ "${cmd[0]}" = help ] &&
			COMPREPLY=($(compgen -W "$(_mxdba_subs_for "${cmd[1]}")" -- "$cur"))
		return
	fi
	local key="${cmd[*]}" optkey="${cmd[*]}"
	[ "${cmd[0]}" = evacuate ] && optkey=evacuate
	if [[ "$cur" == -* ]]; then
		COMPREPLY=($(compgen -W "$(_mxdba_opts_for "$optkey") $_mxdba_global_opts" -- "$cur"))
		return
	fi
	case "$key" in
	"user show" | "user passwd" | "user verify-password" | "rooms" | "notice" | "user deactivate" | \
		"user 3pid add" | "user 3pid remove" | \
		"user reactivate" | "user lock" | "user unlock")
		[ $nargs -eq 0 ] && COMPREPLY=($(compgen -W "$(_mxdba_users "$cur" "$cfg")" -- "$cur")) ;;
	"user promote" | "user demote")
		COMPREPLY=($(compgen -W "$(_mxdba_users "$cur" "$cfg")" -- "$cur")) ;;
	"evacuate user" )
		[ $nargs -eq 0 ] && COMPREPLY=($(compgen -W "$(_mxdba_users "$cur" "$cfg")" -- "$cur")) ;;
	"user import" | "batch")
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}

_mxdba() {
	local line="${COMP_LINE:0:COMP_POINT}" cur pre
	COMPREPLY=()
	_mxdba_main
	cur="${line##*[[:space:]]}"
	# bash replaces only the part after the last colon (COMP_WORDBREAKS)
	if [[ "$cur" == *:* && "$COMP_WORDBREAKS" == *:* ]]; then
		pre="${cur%"${cur##*:}"}"
		COMPREPLY=("${COMPREPLY[@]#"$pre"}")
	fi
}

complete -F _mxdba mxdba
