#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	community_id
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	string
1767225600.000000	Cjgp2X8yoFkgxkPBwQ	10.0.3.1	40050	10.0.3.2	80	tcp	http	0.007000	18	22	SF	-	-	0	ShADdFf	5	222	3	146	(empty)	1:acHWcbuK2wLthKAL1/uyLkPHbi0=
1767225600.008000	CHZhvL4D8fG232ZB29	2001:db8:3::1	40051	2001:db8:3::2	80	tcp	http	0.007000	18	22	SF	-	-	0	ShADdFf	5	322	3	206	(empty)	1:HVMy1orYap7o/RNKvduF59emWkY=
1767225600.016000	CaeMQEInyFJlfgs7vz	2001:db8:3::1	40052	2001:db8:3::2	80	tcp	http	0.007000	18	22	SF	-	-	0	ShADdFf	5	322	3	206	(empty)	1:0CNmIvVXN6qvltGOysd1xBkb4+g=
1767225600.024000	CGyrj3OS6ddqB9kAPy	2001:db8:3::1	40053	2001:db8:3::2	80	tcp	http	0.007000	18	22	SF	-	-	0	ShADdFf	5	322	3	206	(empty)	1:O+Za9SZsD+CtPTvAP5ddi+yL9ms=
#close	2026-01-01-00-00-00
