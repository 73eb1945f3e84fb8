#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	community_id
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	string
1767225600.000000	C9OhoYbCLIrjegitbX	2001:db8:77::1	40020	2001:db8:77::2	80	tcp	http	0.007000	18	22	SF	-	-	0	ShADdFf	5	442	3	278	(empty)	1:7oVT65RRDPmegQqAc4zhwmRnBq0=
1767225600.008000	CIPCxqn0V45nlFgYAy	2001:db8:77::1	40021	2001:db8:77::2	53	udp	domain	0.000000	29	0	S0	-	-	0	D	1	85	0	0	(empty)	1:Xyd2hLAs4AxK1FZKAPD9tIZkvcY=
#close	2026-01-01-00-00-00
