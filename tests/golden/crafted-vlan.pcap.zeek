#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	community_id
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	string
1767225600.000000	CqJkKsgxUWG5RZDFTz	10.0.1.1	40010	10.0.1.2	80	tcp	http	0.007000	18	22	SF	-	-	0	ShADdFf	5	222	3	146	(empty)	1:eA7tjv9IlAGslwV1009JT3WiPII=
1767225600.008000	CaAJWGeqviENFjBNAZ	10.0.2.1	40011	10.0.2.2	443	tcp	https	0.007000	18	22	SF	-	-	0	ShADdFf	5	222	3	146	(empty)	1:J712TCa88NXwKmhWyyQN2ctgVaE=
#close	2026-01-01-00-00-00
