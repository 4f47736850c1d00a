package dev.kastor.bridge.routing.server;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.kastor.bridge.observability.Causes;
import dev.kastor.bridge.routing.RoutingDefaults;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.UUID;

/**
 * Short-lived HS256 JWTs that KAS replicas show each other on the private API, keyed with the 32 bytes of
 * {@code private_api_secret_key}. Nimbus rather than our own HMAC code: it parses the token strictly and its
 * {@link MACVerifier} compares signatures in constant time; we still pin the algorithm to HS256 ourselves, so a
 * token's own {@code alg} never decides how it is checked. Tokens and the key never appear in messages.
 */
public final class PrivateApiJwt {
    static final String REPLICA_CLAIM = "kastor_replica";
    static final String AGENT_CLAIM = "kastor_agent_id";

    private final MACSigner signer;
    private final MACVerifier verifier;
    private final Clock clock;

    /** Thrown when a presented token is not valid; the message says why without quoting the token. */
    public static final class InvalidToken extends Exception {
        InvalidToken(String why) {
            super(why, null, false, false);
        }
    }

    public PrivateApiJwt(String base64Key, Clock clock) {
        byte[] key = Base64.getDecoder().decode(base64Key);
        try {
            this.signer = new MACSigner(key);
            this.verifier = new MACVerifier(key);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("private_api_secret_key cannot key HS256: " + Causes.describe(e), e);
        }
        this.clock = clock;
    }

    /**
     * A fresh token for one call to the replica at {@code replicaUrl} about {@code agentId}, valid for
     * {@link RoutingDefaults#JWT_LIFETIME}. Naming both means a token seen on the way (it travels to whatever URL
     * Redis lists) opens no other replica and no other agent.
     */
    public String mint(String replicaUrl, long agentId) {
        Instant now = clock.instant();
        var claims = new JWTClaimsSet.Builder().issuer(RoutingDefaults.JWT_ISSUER).audience(RoutingDefaults.JWT_AUDIENCE)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(RoutingDefaults.JWT_LIFETIME)))
                .claim(REPLICA_CLAIM, replicaUrl).claim(AGENT_CLAIM, Long.toString(agentId))
                .jwtID(UUID.randomUUID().toString()).build();
        var jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a private API JWT: " + Causes.describe(e), e);
        }
        return jwt.serialize();
    }

    /** Checks the token, and that it was made for this replica ({@code ownUrl}) and this agent. */
    public void verify(String token, String ownUrl, long agentId) throws InvalidToken {
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new InvalidToken("the token is not a signed JWT");
        }
        if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
            throw new InvalidToken("the token is not signed with HS256");
        }
        try {
            if (!jwt.verify(verifier)) throw new InvalidToken("bad signature: the replicas do not share private_api_secret_key");
        } catch (JOSEException e) {
            throw new InvalidToken("the signature cannot be checked");
        }
        if (!RoutingDefaults.JWT_ISSUER.equals(claims.getIssuer())) throw new InvalidToken("wrong issuer");
        if (claims.getAudience() == null || !claims.getAudience().contains(RoutingDefaults.JWT_AUDIENCE)) throw new InvalidToken("wrong audience");
        Date exp = claims.getExpirationTime();
        if (exp == null) throw new InvalidToken("the token has no expiry");
        Instant now = clock.instant();
        if (exp.toInstant().isBefore(now.minus(RoutingDefaults.JWT_CLOCK_SKEW))) throw new InvalidToken("the token has expired");
        if (exp.toInstant().isAfter(now.plus(RoutingDefaults.JWT_LIFETIME).plus(RoutingDefaults.JWT_CLOCK_SKEW))) {
            throw new InvalidToken("the token lives longer than " + RoutingDefaults.JWT_LIFETIME.toSeconds() + " s");
        }
        if (!ownUrl.equals(claims.getClaim(REPLICA_CLAIM))) throw new InvalidToken("the token was made for another replica");
        if (!Long.toString(agentId).equals(claims.getClaim(AGENT_CLAIM))) throw new InvalidToken("the token was made for another agent");
    }
}
