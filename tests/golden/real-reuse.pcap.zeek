#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-11-25-10-44-20
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	community_id
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	string
1795603460.535774	CEhD15ONw3BlguePYc	10.77.0.1	44101	10.77.0.2	8080	tcp	http-alt	0.000377	17	23	RSTO	-	-	0	ShADadR	5	285	3	187	(empty)	1:9lJlS4mmVsrKXPk6piDWBzwCSMA=
1795603461.036395	CiyEasLFKJudYXxW81	10.77.0.1	44101	10.77.0.2	8080	tcp	http-alt	0.000347	18	24	SF	-	-	0	ShADadFf	6	338	4	240	(empty)	1:9lJlS4mmVsrKXPk6piDWBzwCSMA=
#close	2026-11-25-10-44-21
