#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	community_id
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	string
1767225600.000000	CXhw2XJMdfHD850yrR	10.0.0.1	40030	10.0.0.2	5000	udp	-	0.003000	3072	14	SF	-	-	0	Dd	1	1500	1	42	(empty)	1:VV5pDwaKbdnpvMkctIBGOfTfWYk=
#close	2026-01-01-00-00-00
