package rbac

# Role-based access control.
#   data.user_roles[user]  -> the user's role names
#   data.role_grants[role] -> what the role may do: {"action": ..., "type": ...}
# A request {user, action, type} is allowed when the user is an admin or one
# of the user's roles grants that action on that type of resource.

default allow := false

allow if "admin" in data.user_roles[input.user]

allow if {
	some grant in user_grants
	grant.action == input.action
	grant.type == input.type
}

# Every grant the requesting user holds, through any of their roles.
user_grants contains grant if {
	some role in data.user_roles[input.user]
	some grant in data.role_grants[role]
}
