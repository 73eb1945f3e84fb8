#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-11-25-10-44-16
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	community_id
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	string
1795603456.625376	C09qYOjh8emsPDtSrZ	127.0.0.1	33653	127.0.0.1	8081	tcp	-	0.000351	17	23	SF	-	-	0	ShADadFf	6	337	4	239	(empty)	1:KTLXh6zfVvveGbNY0YS63GFblRw=
1795603456.857074	CA30aW70PWy8RMAkib	127.0.0.1	52317	127.0.0.1	9	tcp	-	0.000014	0	0	REJ	-	-	0	Sr	1	60	1	40	(empty)	1:AHbRA5KF72b89bgot+y0Z6a5mTI=
#close	2026-11-25-10-44-16
