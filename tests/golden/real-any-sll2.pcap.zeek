#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-11-25-10-44-10
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	community_id
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	string
1795603450.024774	CUvpwHtv0QMR8MbrDj	10.77.0.1	57665	10.77.0.2	8080	tcp	http-alt	0.000596	17	23	SF	-	-	0	ShADadFf	6	337	4	239	(empty)	1:j6CXE2Hi8xePg6G0yI0CTrUUyTA=
1795603450.254821	CyIUjNxIVwufcNzwgN	10.77.0.1	57213	10.77.0.2	8080	tcp	http-alt	0.000435	17	23	SF	-	-	0	ShADadFf	6	337	4	239	(empty)	1:MjURVjxgeLvazmDm2SErUxhIze4=
1795603450.487686	CYezHn6jos1tb73FOG	10.77.0.1	32937	10.77.0.2	8080	tcp	http-alt	0.000439	17	23	SF	-	-	0	ShADadFf	6	337	4	239	(empty)	1:96sgIbPmGwClfVDib2bFyt4xZvw=
1795603450.717467	ChSbaDvgLJYjqAWYp9	10.77.0.1	42971	10.77.0.2	9	tcp	-	0.000022	0	0	REJ	-	-	0	Sr	1	60	1	40	(empty)	1:xjAxruvSGITvGl1farT8Tlwknlc=
1795603450.946260	CfVjpTt0NzbtJDGXr7	10.77.0.1	38347	10.77.0.2	7070	tcp	-	3.079093	0	0	S0	-	-	0	S	4	240	0	0	(empty)	1:X8LfBoJBFHnNrI+apUpzl3Aa4Lk=
1795603454.678483	CI621HvEtf3la5F28r	fd00:77::1	60669	fd00:77::2	8080	tcp	http-alt	0.000405	17	23	SF	-	-	0	ShADadFf	6	457	4	319	(empty)	1:EEhxjGfXnendIwDJHcXRL4zxvDU=
1795603454.908567	CTp1nAm7thSuXjw3P8	10.77.0.1	40542	10.77.0.2	5353	udp	mdns	0.000205	15	21	SF	-	-	0	Dd	1	43	1	49	(empty)	1:M/UvKkFGH9Ic0TErjwgTS/bIOWQ=
1795603455.138789	CNQzs7IMxNtGZEfABy	10.77.0.1	49669	10.77.0.2	5999	udp	-	0.000000	15	0	S0	-	-	0	D	1	43	0	0	(empty)	1:CRrJCrOGy8WH6pzMHcsin65AFTQ=
1795603455.367830	CN9ZtNYBjeXKaFuA0u	10.77.0.1	44411	10.77.0.2	8080	tcp	http-alt	0.000297	6	12	RSTR	-	-	0	ShADadr	4	222	4	228	(empty)	1:mAY7fFp1tf7QPrx0cddQP2Dw8jI=
#close	2026-11-25-10-44-15
