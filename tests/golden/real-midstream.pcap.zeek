#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-11-25-10-44-18
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	community_id
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	string
1795603458.693904	CVBzPeV4Rl7Q5QxHvk	10.77.0.1	42577	10.77.0.2	6000	tcp	-	0.600902	24	42	SF	-	-	0	DadAFf	8	440	5	302	(empty)	1:DHsM0P63U5Yc6Db6AqeAA/TE8+Q=
#close	2026-11-25-10-44-19
