#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	community_id
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	string
1767225600.000000	CCKK63M18jaKRJnXmP	10.0.0.1	40002	10.0.0.2	443	tcp	https	0.060000	0	42	OTH	-	-	0	^hd	0	0	4	206	(empty)	1:Ml64bugQy4oPWJGZj7XXYiO4njE=
#close	2026-01-01-00-00-00
