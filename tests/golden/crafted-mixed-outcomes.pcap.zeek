#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	community_id
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	string
1767225600.000000	C49bSd1nEseLZ6A4Vm	10.1.0.1	41001	10.1.0.2	8443	tcp	https-alt	0.001000	0	0	S1	-	-	0	Sh	1	44	1	44	(empty)	1:kFL+rBXSDm/P+EDsgS6sRyxUMeg=
1767225600.101000	CtF6aYapDXHUMql4pZ	10.1.0.1	41002	10.1.0.2	23	tcp	telnet	0.001000	0	0	REJ	-	-	0	Sr	1	44	1	40	(empty)	1:IYVUswxtP0Nv2zbUhK9TMOoH7DU=
1767225600.202000	CzXFxc6N5rnsguOiCk	10.1.0.1	41003	10.1.0.2	3389	tcp	ms-wbt-server	3.000000	0	0	S0	-	-	0	S	3	132	0	0	(empty)	1:HidDEjKzxzvehRpz0lHy7gIrDR8=
1767225604.202000	ChlNqO5zrbEQlQ0m2i	10.1.0.1	41004	10.1.0.2	80	tcp	http	0.005000	30	53	RSTO	-	-	1	ShADdGR	4	194	2	137	(empty)	1:UqdZu5IT/1mXJFsKShNvMfw9qOM=
1767225604.307000	CclUp8tXq3YlonCP1z	10.1.0.1	41005	10.1.0.2	80	tcp	http	1.007000	5	5	SF	-	-	0	ShADdFf	6	253	3	129	(empty)	1:zVnr/efK5xf3HKoZ/fVS9HD9oak=
1767225605.414000	CpnXrMdApKHi0FPnPR	10.1.0.1	41006	10.1.0.2	53	udp	domain	0.001000	29	56	SF	-	-	0	Dd	1	57	1	84	(empty)	1:VR+wcmq3w3Z5Z+gDp7xMgXwsoLk=
#close	2026-01-01-00-00-05
