#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	community_id
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	string
1767225600.000000	CTkyNnEnDEP5KuCTVB	10.0.0.1	40040	10.0.0.2	22	tcp	ssh	0.000000	0	0	S0	-	-	0	S	1	44	0	0	(empty)	1:YJ+1JfWuYRmdOrL3Uf2roqK2bIU=
1767225600.002000	CL2wBDwh7LTb6iUYpR	10.0.0.1	40041	10.0.0.2	161	udp	snmp	0.000000	5	0	S0	-	-	0	D	1	33	0	0	(empty)	1:visHUAOwt2NyDsZXeaKZH0sGFT0=
1767225600.004000	C2HTy5gdGzClhX4RH5	2001:db8:77::1	40042	2001:db8:77::2	22	tcp	ssh	0.000000	0	0	S0	-	-	0	S	1	64	0	0	(empty)	1:/cX8i2xwsVVMZjuzwBxQ3yvHRHE=
1767225600.006000	C9Zr6c4Y1U7fhtq70t	2001:db8:77::1	40043	2001:db8:77::2	161	udp	snmp	0.000000	6	0	S0	-	-	0	D	1	54	0	0	(empty)	1:6mPlzv6Q1A34IRBKBGvB5Qwyb6I=
#close	2026-01-01-00-00-00
